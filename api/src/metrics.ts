// Prometheus metrics. One registry per app so tests (and several apps in one process) never collide.
// prom-client's collectDefaultMetrics relies on Node internals that Bun lacks or fakes (GC, event-loop
// lag, heap spaces), so only process figures Bun reports truthfully are exported.
// The four classes come from prom-client's lib/ one by one: its index also loads the default metrics,
// the cluster aggregator and the Pushgateway client, and through them @opentelemetry/api (80 modules
// of 88, none used here) at every start.
/// <reference path="./prom-client-lib.d.ts" />
import Counter from "prom-client/lib/counter";
import Gauge from "prom-client/lib/gauge";
import Histogram from "prom-client/lib/histogram";
import Registry from "prom-client/lib/registry";
import { version } from "../package.json" with { type: "json" };

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  dbQueryDuration: Histogram<"operation">;
  dbPool: Gauge<"state">;
  cacheRequests: Counter<"result">;
  sseClients: Gauge;
  sseStreamsMax: Gauge;
  sseRejected: Counter<"reason">;
  authFailures: Counter<"reason">;
  authLogins: Counter<"result">;
  rateLimited: Counter<"scope">;
  /** Jobs in the table by state (queued: due and unclaimed; running: leased; failed: given up). */
  jobs: Gauge<"state">;
  /** Seconds the oldest due, unclaimed job has waited: how far the workers and the scheduler lag. */
  jobsLag: Gauge;
  jobsProcessed: Counter<"kind" | "result">;
  schedulerLastRun: Gauge;
  mailSent: Counter<"kind">;
  mailFailed: Counter<"kind" | "reason">;
  /** Imports from other tools, by source and result (preview, created, refused, failed). */
  imports: Counter<"source" | "result">;
  attachmentUploadFailures: Counter<"reason">;
  attachmentBytes: Counter<"direction">;
  /** Calendar feed fetches by result (ok, not_modified, not_found, rate_limited, error). */
  calendarFeedRequests: Counter<"result">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const startTime = Date.now() / 1000;

  new Gauge({
    name: "app_info",
    help: "Build information; always 1",
    labelNames: ["version"],
    registers,
  }).set({ version: version ?? "0.0.0" }, 1);
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes",
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: "process_heap_bytes",
    help: "JavaScript heap in use, in bytes",
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Counter({
    name: "process_cpu_seconds_total",
    help: "User and system CPU time spent in seconds",
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since the Unix epoch",
    registers,
  }).set(startTime);

  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests by method, route template and status",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration by method, route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    dbQueryDuration: new Histogram({
      name: "db_query_duration_seconds",
      help: "Duration of database operations by repository operation",
      labelNames: ["operation"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    dbPool: new Gauge({
      name: "db_pool_connections",
      help: "PostgreSQL pool connections by state",
      labelNames: ["state"],
      registers,
    }),
    cacheRequests: new Counter({
      name: "cache_requests_total",
      help: "Task list cache lookups by result",
      labelNames: ["result"],
      registers,
    }),
    sseClients: new Gauge({ name: "sse_clients", help: "Connected Server-Sent Events clients", registers }),
    sseStreamsMax: new Gauge({
      name: "sse_streams_max",
      help: "Event streams this process accepts at most (from its file-descriptor limit)",
      registers,
    }),
    sseRejected: new Counter({
      name: "sse_rejected_total",
      help: "Event streams refused by a cap: user (429) or process (503)",
      labelNames: ["reason"],
      registers,
    }),
    authFailures: new Counter({
      name: "auth_failures_total",
      help: "Refused authentications by reason",
      labelNames: ["reason"],
      registers,
    }),
    authLogins: new Counter({
      name: "auth_logins_total",
      help: "Login attempts by result",
      labelNames: ["result"],
      registers,
    }),
    rateLimited: new Counter({
      name: "rate_limited_total",
      help: "Requests refused by a rate limit, by scope",
      labelNames: ["scope"],
      registers,
    }),
    jobs: new Gauge({
      name: "jobs",
      help: "Background jobs by state: queued (due, unclaimed), running (leased), failed (given up)",
      labelNames: ["state"],
      registers,
    }),
    jobsLag: new Gauge({
      name: "jobs_lag_seconds",
      help: "How long the oldest due, unclaimed job has waited (scheduler and worker lag)",
      registers,
    }),
    jobsProcessed: new Counter({
      name: "jobs_processed_total",
      help: "Job attempts by kind and result (done, retried, deferred, failed)",
      labelNames: ["kind", "result"],
      registers,
    }),
    schedulerLastRun: new Gauge({
      name: "scheduler_last_run_timestamp_seconds",
      help: "When this replica last ran the scheduled steps (reminder scan, pruning)",
      registers,
    }),
    mailSent: new Counter({
      name: "mail_sent_total",
      help: "Mails accepted by the SMTP server (or written to a file in development), by kind",
      labelNames: ["kind"],
      registers,
    }),
    mailFailed: new Counter({
      name: "mail_failed_total",
      help: "Mail attempts that failed, by kind and reason (temporary: retried; permanent: given up)",
      labelNames: ["kind", "reason"],
      registers,
    }),
    imports: new Counter({
      name: "imports_total",
      help: "Imports from other tools by source and result: preview, created, refused (a bad file), failed",
      labelNames: ["source", "result"],
      registers,
    }),
    attachmentUploadFailures: new Counter({
      name: "attachment_upload_failures_total",
      help: "Attachment uploads that failed, by reason (too_large, quota_exceeded, bad_name, refused, interrupted, storage)",
      labelNames: ["reason"],
      registers,
    }),
    attachmentBytes: new Counter({
      name: "attachment_bytes_total",
      help: "Attachment bytes stored (upload) and sent or handed to nginx (download)",
      labelNames: ["direction"],
      registers,
    }),
    calendarFeedRequests: new Counter({
      name: "calendar_feed_requests_total",
      help: "Calendar feed fetches by result (ok, not_modified, not_found, rate_limited, error)",
      labelNames: ["result"],
      registers,
    }),
  };
}
