-- wrk script: GET each path of the file PATHS (one a line) in turn; the threads take turns through
-- the list, so no path is asked twice before the list is done (distinct filters, no cached answer).
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local threads = tonumber(os.getenv("THREADS") or "1")
local counter = 0
local tid = 0
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end
function request()
  local i = (counter * threads + (tid - 1)) % #paths
  counter = counter + 1
  return wrk.format("GET", paths[i + 1])
end
