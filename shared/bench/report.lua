-- wrk script for the Neodyme benchmark: sets the request from the environment and, when the
-- run is over, prints one line of JSON (a marker, then the object) for the harness to parse.
-- Latency is in microseconds, as wrk measures it.

local method = os.getenv("BENCH_METHOD")
if method then
  wrk.method = method
end
local body = os.getenv("BENCH_BODY")
if body then
  wrk.body = body
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_WRK_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, '
      .. '"max": %d, "p50": %d, "p90": %d, "p99": %d}}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency.mean, latency.max, latency:percentile(50),
    latency:percentile(90), latency:percentile(99)))
end
