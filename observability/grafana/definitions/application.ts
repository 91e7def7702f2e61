// Is the API healthy for its users? Traffic, errors and latency per route, the SLOs' error budgets,
// database pool and cache, live connections, logins and rate limits, mail and background jobs, and the
// API's logs from Loki.
import { dashboard } from "../lib/dashboard.ts";
import { LOKI } from "../lib/datasources.ts";
import { logs, stat, timeseries, ZERO_TO_100_PERCENT } from "../lib/panels.ts";
import { API_5XX_RATIO, API_JOB, RATE_INTERVAL } from "../lib/promql.ts";
import { errorBudgetGauge } from "../lib/slo.ts";

export const application = dashboard({
  uid: "taskplatform-application",
  title: "TaskPlatform / Application",
  description: "The API: RED per route, SLOs and error budgets, database pool, cache, SSE, auth and logs.",
  tags: ["application"],
  rows: [
    {
      title: "Traffic, errors, latency",
      panels: [
        timeseries({
          title: "Requests per second by route",
          description: "Rate of API requests per Hono route template (unmatched = 404s).",
          unit: "reqps",
          stack: true,
          targets: [
            {
              expr: `sum by (route) (rate(http_requests_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "{{route}}",
            },
          ],
        }),
        timeseries({
          title: "Requests per second by status",
          description: "Rate of API answers per HTTP status code.",
          unit: "reqps",
          stack: true,
          targets: [
            {
              expr: `sum by (status) (rate(http_requests_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "{{status}}",
            },
          ],
        }),
        timeseries({
          title: "Latency p50 / p95 / p99",
          description: "Request duration quantiles over all routes, from the histogram.",
          unit: "s",
          targets: [0.5, 0.95, 0.99].map((q) => ({
            expr: `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{${API_JOB}}[${RATE_INTERVAL}])))`,
            legend: `p${Math.round(q * 100)}`,
          })),
        }),
        timeseries({
          title: "p95 latency by route",
          description: "95th percentile duration per route (recording rule, 5 minute window).",
          unit: "s",
          targets: [{ expr: "job_route:http_request_duration_seconds:p95_5m", legend: "{{route}}" }],
        }),
        timeseries({
          title: "5xx ratio",
          description: "Share of answers with a 5xx status, overall and per route (recording rule).",
          unit: "percentunit",
          min: 0,
          targets: [
            { expr: API_5XX_RATIO, legend: "all routes" },
            { expr: "job_route:http_requests_5xx:ratio_rate5m > 0", legend: "{{route}}" },
          ],
        }),
        timeseries({
          title: "Requests slower than 200 ms",
          description: "Share of requests over the latency SLO threshold (the SLO allows 5 %).",
          unit: "percentunit",
          min: 0,
          targets: [{ expr: "job:slo_latency_errors:ratio_rate5m", legend: "slow share (5m)" }],
        }),
      ],
    },
    {
      title: "SLOs and error budgets (30 days)",
      panels: [
        errorBudgetGauge(
          "availability",
          "Share of the 30-day error budget of the 99.9 % availability SLO still unspent.",
        ),
        errorBudgetGauge(
          "latency",
          "Share of the 30-day budget of the latency SLO (95 % of requests under 200 ms) still unspent.",
        ),
        timeseries({
          title: "Burn rate",
          description:
            "How fast each budget burns (1 = exactly used up in 30 days). Pages at 14.4 (1h) and 6 (6h).",
          unit: "none",
          w: 12,
          targets: [
            { expr: "job:slo_availability_errors:ratio_rate1h / 0.001", legend: "availability 1h" },
            { expr: "job:slo_availability_errors:ratio_rate6h / 0.001", legend: "availability 6h" },
            { expr: "job:slo_latency_errors:ratio_rate1h / 0.05", legend: "latency 1h" },
            { expr: "job:slo_latency_errors:ratio_rate6h / 0.05", legend: "latency 6h" },
          ],
        }),
      ],
    },
    {
      title: "Database and cache",
      panels: [
        timeseries({
          title: "DB pool connections",
          description: "postgres.js pool per API process: open connections against the configured maximum.",
          unit: "none",
          targets: [
            {
              expr: `sum by (instance, state) (db_pool_connections{${API_JOB}})`,
              legend: "{{instance}} {{state}}",
            },
          ],
        }),
        timeseries({
          title: "DB query p95 by operation",
          description: "95th percentile database query duration per operation.",
          unit: "s",
          targets: [
            {
              expr: `histogram_quantile(0.95, sum by (operation, le) (rate(db_query_duration_seconds_bucket{${API_JOB}}[${RATE_INTERVAL}])))`,
              legend: "{{operation}}",
            },
          ],
        }),
        timeseries({
          title: "Cache hit ratio",
          description: "Share of cache lookups answered from Redis (bypasses excluded).",
          ...ZERO_TO_100_PERCENT,
          targets: [
            {
              expr: `sum(rate(cache_requests_total{${API_JOB},result="hit"}[${RATE_INTERVAL}])) / sum(rate(cache_requests_total{${API_JOB},result=~"hit|miss"}[${RATE_INTERVAL}]))`,
              legend: "hit ratio",
            },
          ],
        }),
        timeseries({
          title: "Cache requests",
          description: "Cache lookups per second by result (hit, miss, bypass).",
          unit: "ops",
          stack: true,
          targets: [
            {
              expr: `sum by (result) (rate(cache_requests_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "{{result}}",
            },
          ],
        }),
      ],
    },
    {
      title: "Users and security",
      panels: [
        timeseries({
          title: "SSE clients",
          description:
            "Open event-stream connections (GET /api/events) per API process, against each process's cap " +
            "(sse_streams_max, from its open-files limit; EventStreamsNearCap fires above 80 %), and streams " +
            "refused per second by a cap (user: SSE_STREAMS_PER_USER, 429; process: 503).",
          unit: "none",
          w: 8,
          targets: [
            { expr: `sum by (instance) (sse_clients{${API_JOB}})`, legend: "{{instance}}" },
            { expr: `max by (instance) (sse_streams_max{${API_JOB}})`, legend: "cap {{instance}}" },
            {
              expr: `sum by (reason) (rate(sse_rejected_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "refused/s ({{reason}})",
            },
          ],
        }),
        timeseries({
          title: "Logins",
          description: "Login attempts per second by result.",
          unit: "ops",
          w: 8,
          targets: [
            {
              expr: `sum by (result) (rate(auth_logins_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "{{result}}",
            },
          ],
        }),
        timeseries({
          title: "Auth failures by reason",
          description: "Rejected authentications per second (bad password, expired or invalid token…).",
          unit: "ops",
          w: 8,
          targets: [
            {
              expr: `sum by (reason) (rate(auth_failures_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "{{reason}}",
            },
          ],
        }),
        timeseries({
          title: "Rate-limited requests",
          description: "Requests refused with 429 per second, by limiter scope.",
          unit: "reqps",
          w: 12,
          targets: [
            {
              expr: `sum by (scope) (rate(rate_limited_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "{{scope}}",
            },
          ],
        }),
        stat({
          title: "Rate-limited in the last hour",
          description: "Requests refused by the rate limiter over the last hour, by scope.",
          unit: "none",
          w: 12,
          targets: [
            {
              expr: `sum by (scope) (increase(rate_limited_total{${API_JOB}}[1h]))`,
              legend: "{{scope}}",
              instant: true,
            },
          ],
        }),
      ],
    },
    {
      title: "Mail and background jobs",
      panels: [
        timeseries({
          title: "Mails per second by kind",
          description:
            "Mails the SMTP server accepted, and failed attempts (temporary: retried with backoff; permanent: given up), by kind.",
          unit: "ops",
          w: 12,
          targets: [
            {
              expr: `sum by (kind) (rate(mail_sent_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "sent {{kind}}",
            },
            {
              expr: `sum by (kind, reason) (rate(mail_failed_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "failed {{kind}} ({{reason}})",
            },
          ],
        }),
        timeseries({
          title: "Jobs by state",
          description:
            "Jobs in PostgreSQL: queued (due, not claimed), running (leased by a replica), failed (given up). Every replica reports the same table, hence max.",
          unit: "short",
          w: 12,
          targets: [{ expr: `max by (state) (jobs{${API_JOB}})`, legend: "{{state}}" }],
        }),
        timeseries({
          title: "Scheduler and worker lag",
          description:
            "How long the oldest due, unclaimed job has waited. Above 5 minutes for 10 minutes fires SchedulerLagging.",
          unit: "s",
          w: 12,
          targets: [{ expr: `max(jobs_lag_seconds{${API_JOB}})`, legend: "lag" }],
        }),
        timeseries({
          title: "Job attempts by result",
          description:
            "Job attempts per second by kind and result: done, retried, deferred (another attempt holds the mail), failed.",
          unit: "ops",
          w: 12,
          stack: true,
          targets: [
            {
              expr: `sum by (kind, result) (rate(jobs_processed_total{${API_JOB}}[${RATE_INTERVAL}]))`,
              legend: "{{kind}} {{result}}",
            },
          ],
        }),
      ],
    },
    {
      title: "Logs (Loki)",
      panels: [
        timeseries({
          title: "API log lines by level",
          description: "Log lines per level, from the `level` label Alloy extracts from the API's JSON logs.",
          datasource: LOKI,
          unit: "short",
          w: 24,
          h: 6,
          stack: true,
          targets: [
            {
              expr: 'sum by (level) (count_over_time({service="api"} [$__interval]))',
              legend: "{{level}}",
            },
          ],
        }),
        logs({
          title: "API errors and 5xx",
          description:
            "Error-level lines and requests answered 5xx, newest first; open a line for its request id.",
          w: 24,
          h: 10,
          targets: [{ expr: '{service="api"} | level="error" or status_class="5xx"' }],
        }),
        logs({
          title: "API logs",
          description: "All API log lines, newest first.",
          w: 24,
          h: 12,
          targets: [{ expr: '{service="api"}' }],
        }),
      ],
    },
  ],
});
