-- wrk script (one thread, any number of connections): GET each path of the file PATHS (one a
-- line) in turn, so no path is asked twice before the list is done (distinct filters: no cached answer).
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter - 1) % #paths + 1])
end
