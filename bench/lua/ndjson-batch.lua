-- wrk script: POST /v1/events with an NDJSON batch of BATCH play events, unique event_ids per
-- request (thread id + request counter), so the collector does its real work on every batch.
local batch = tonumber(os.getenv("BATCH") or "1000")
local counter = 0
local tid = 0
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end
function request()
  counter = counter + 1
  local prefix = "t" .. tostring(tid) .. "-" .. tostring(counter) .. "-"
  local lines = {}
  for i = 1, batch do
    lines[i] = '{"event_id":"' .. prefix .. i .. '","type":"play","ts":"2026-11-23T10:00:00Z","user_id":"u' .. (i % 977) .. '","track_id":"t' .. (i % 5003) .. '","ms_played":180000,"duration_ms":200000}'
  end
  return wrk.format("POST", "/v1/events", { ["Content-Type"] = "application/x-ndjson" }, table.concat(lines, "\n"))
end
