-- GET of a fixed path (the bare baseline view).
dofile(os.getenv("BENCH_DIR") .. "/wrk_report.lua")
done = egov_done
