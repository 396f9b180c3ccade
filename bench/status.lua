-- Public status look-ups of random existing dossier codes.
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")
local codes = {}
for line in io.lines(os.getenv("BENCH_CODES")) do
  if #line > 0 then codes[#codes + 1] = line end
end
request = function()
  return wrk.format("GET", "/api/v1/dossiers/" .. codes[math.random(#codes)] .. "/status")
end
done = egov_done
