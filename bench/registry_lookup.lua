-- Officer look-ups of random existing people through the registry API (bearer token, stated purpose;
-- every answer writes one access-log row).
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do
  if #line > 0 then ids[#ids + 1] = line end
end
local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local query = "?purpose=" .. encode(os.getenv("BENCH_PURPOSE")) .. "&dossier_code=BENCH"
-- Each wrk thread has its own Lua state; seed each differently so they do not replay the same ids.
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/population/people/" .. ids[math.random(#ids)] .. query)
end
done = egov_done
