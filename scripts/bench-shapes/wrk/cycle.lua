-- Shared by the suite's wrk scripts (loaded with dofile from beside them): request()
-- cycling over the requests a script formatted once per thread in init() (so the
-- generator's cost per request stays small), and done() printing the measurement kit's
-- machine-readable BENCH_RESULT line.
reqs, n, i = {}, 0, 0

function request()
   i = i % n + 1
   return reqs[i]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d bytes=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d " ..
      "p50_us=%d p90_us=%d p99_us=%d p999_us=%d mean_us=%.1f max_us=%d\n",
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      latency.mean, latency.max))
end
