-- Shared by the bench/*.lua scripts: one machine-readable line with throughput and latency percentiles.
function egov_done(summary, latency, requests)
  io.write(string.format(
    "EGOV_RESULT {\"requests\":%d,\"duration_us\":%d,\"errors_status\":%d,\"errors_connect\":%d,\"errors_read\":%d,\"errors_timeout\":%d,\"p50_us\":%d,\"p95_us\":%d,\"p99_us\":%d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
