-- post.lua: wrk script for bench/run.sh.  POSTs BENCH_BODY (default a
-- short string).  BENCH_DELAY_MS > 0 adds that think time before each
-- request (a lighter, steadier load for the tail test).  At the end it
-- prints one machine-readable line:
-- BENCH rps=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=...
--       slow_pct=... errors=... non2xx=...
-- where slow_pct is the share of calls slower than BENCH_SLOW_US
-- (default 25000 us), found by bisecting the percentiles.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "hello-baltic"
wrk.headers["Content-Type"] = "text/plain"

local think = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0
if think > 0 then
	delay = function() return think end
end

local slow_us = tonumber(os.getenv("BENCH_SLOW_US") or "25000") or 25000

local function slow_share(latency)
	if latency.max <= slow_us then return 0 end
	local lo, hi = 0, 100
	for _ = 1, 40 do
		local mid = (lo + hi) / 2
		if latency:percentile(mid) > slow_us then hi = mid else lo = mid end
	end
	return 100 - hi
end

done = function(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
	    "BENCH requests=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d " ..
	    "p999_us=%d max_us=%d slow_pct=%.3f errors=%d non2xx=%d\n",
	    summary.requests, summary.requests / secs,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency:percentile(99.9), latency.max,
	    slow_share(latency),
	    e.connect + e.read + e.write + e.timeout, e.status))
end
