-- Counter receptions: each request creates a dossier with its papers, code, register entry, tasks,
-- events and queued notifications, committed before the 201 answer.
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = os.getenv("BENCH_BODY")
done = egov_done
