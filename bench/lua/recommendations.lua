-- wrk script: GET /v1/recommendations/{userId}?n=10 for a different known user each request.
local users = tonumber(os.getenv("USERS") or "1000")
local counter = 0
local tid = 0
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end
function request()
  counter = counter + 1
  local u = (counter * 7919 + tid * 104729) % users
  return wrk.format("GET", "/v1/recommendations/u" .. u .. "?n=10")
end
