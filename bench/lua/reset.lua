-- ComputerSystem.Reset POST on one slot, one request at a time (use -c1): wrk's latency is the time for the POST to return.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"ResetType":"' .. (os.getenv("BENCH_RESET_TYPE") or "ForceRestart") .. '"}'
