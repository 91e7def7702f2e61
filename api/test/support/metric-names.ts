/** The metric names docs/architecture.md promises to observability/ (histograms by their _bucket series). */
export const CONTRACT_METRICS = [
  "http_requests_total",
  "http_request_duration_seconds_bucket",
  "db_query_duration_seconds_bucket",
  "db_pool_connections",
  "cache_requests_total",
  "sse_clients",
  "auth_failures_total",
  "auth_logins_total",
  "rate_limited_total",
  "process_resident_memory_bytes",
  "process_cpu_seconds_total",
  "process_start_time_seconds",
  "app_info",
] as const;
