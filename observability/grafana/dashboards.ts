// Grafana dashboards as code. `bun observability/grafana/dashboards.ts` writes dashboards/*.json;
// observability/test/static.test.ts fails when the committed JSON differs from what this file builds.
//
// Every panel gets its datasource through a template variable (${datasource} for Prometheus, ${loki} for
// Loki), a unit and a description. Counters only ever appear inside rate()/increase().
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

type Unit =
  | "none"
  | "short"
  | "percentunit"
  | "s"
  | "bytes"
  | "Bps"
  | "reqps"
  | "ops"
  | "dtdurations"
  | "cps";

interface Target {
  expr: string;
  legend?: string;
  /** instant query (stat panels) */
  instant?: boolean;
}

interface PanelSpec {
  title: string;
  description: string;
  type: "timeseries" | "stat" | "gauge" | "logs" | "table";
  unit?: Unit;
  targets: Target[];
  w?: number;
  h?: number;
  /** datasource variable; logs panels use loki */
  ds?: "datasource" | "loki";
  min?: number;
  max?: number;
  thresholds?: Array<{ color: string; value: number | null }>;
  mappings?: unknown[];
  stack?: boolean;
}

interface Row {
  title: string;
  panels: PanelSpec[];
}

interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  rows: Row[];
  /** also offers a Loki datasource variable */
  loki?: boolean;
}

const prometheusVar = {
  name: "datasource",
  label: "Prometheus",
  type: "datasource",
  query: "prometheus",
  current: { text: "Prometheus", value: "prometheus" },
  hide: 0,
  refresh: 1,
  regex: "",
  options: [],
};

const lokiVar = {
  name: "loki",
  label: "Loki",
  type: "datasource",
  query: "loki",
  current: { text: "Loki", value: "loki" },
  hide: 0,
  refresh: 1,
  regex: "",
  options: [],
};

const upMappings = [
  {
    type: "value",
    options: {
      "0": { text: "DOWN", color: "red", index: 0 },
      "1": { text: "UP", color: "green", index: 1 },
    },
  },
];

function panel(spec: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
  const ds = { type: spec.ds === "loki" ? "loki" : "prometheus", uid: `\${${spec.ds ?? "datasource"}}` };
  const targets = spec.targets.map((t, i) => ({
    datasource: ds,
    refId: String.fromCharCode(65 + i),
    expr: t.expr,
    legendFormat: t.legend ?? "__auto",
    range: !t.instant,
    instant: Boolean(t.instant),
    editorMode: "code",
  }));
  const base: Record<string, unknown> = {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: ds,
    gridPos: { h: spec.h ?? 8, w: spec.w ?? 12, x, y },
    targets,
  };
  if (spec.type === "logs") {
    base.options = {
      showTime: true,
      wrapLogMessage: true,
      sortOrder: "Descending",
      enableLogDetails: true,
      prettifyLogMessage: false,
    };
    return base;
  }
  const defaults: Record<string, unknown> = {
    unit: spec.unit ?? "short",
    thresholds: {
      mode: "absolute",
      steps: spec.thresholds ?? [{ color: "green", value: null }],
    },
    color: { mode: spec.thresholds ? "thresholds" : "palette-classic" },
    mappings: spec.mappings ?? [],
  };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.type === "timeseries") {
    defaults.custom = {
      drawStyle: "line",
      lineWidth: 1,
      fillOpacity: spec.stack ? 30 : 10,
      showPoints: "never",
      spanNulls: false,
      stacking: { mode: spec.stack ? "normal" : "none", group: "A" },
    };
    base.options = {
      legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["lastNotNull", "max"] },
      tooltip: { mode: "multi", sort: "desc" },
    };
  } else if (spec.type === "stat") {
    base.options = {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      colorMode: "background",
      graphMode: "none",
      textMode: "auto",
      justifyMode: "auto",
      orientation: "auto",
    };
  } else if (spec.type === "gauge") {
    base.options = {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      showThresholdLabels: false,
      showThresholdMarkers: true,
    };
  }
  base.fieldConfig = { defaults, overrides: [] };
  return base;
}

function dashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({
      id: id++,
      type: "row",
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const w = p.w ?? 12;
      const h = p.h ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panel(p, id++, x, y));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ["taskplatform", ...spec.tags],
    timezone: "browser",
    editable: false,
    graphTooltip: 1,
    refresh: "30s",
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    annotations: { list: [] },
    links: [
      {
        type: "dashboards",
        tags: ["taskplatform"],
        asDropdown: true,
        title: "TaskPlatform",
        includeVars: true,
      },
    ],
    templating: { list: spec.loki ? [prometheusVar, lokiVar] : [prometheusVar] },
    panels,
  };
}

const RI = "$__rate_interval";
const API = 'job="api"';
const FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.*",mountpoint!~"/(run|dev|sys|proc)($|/.*)"';

export const dashboards: DashboardSpec[] = [
  {
    uid: "taskplatform-overview",
    title: "TaskPlatform / Overview",
    description: "Is everything up? Services, alerts, CPU, memory and network per container, uptime.",
    tags: ["overview"],
    rows: [
      {
        title: "Services",
        panels: [
          {
            title: "Targets up",
            description: "Every scrape target by job: UP when Prometheus scraped it successfully.",
            type: "stat",
            unit: "none",
            w: 12,
            h: 5,
            targets: [{ expr: "min by (job) (up)", legend: "{{job}}", instant: true }],
            mappings: upMappings,
            thresholds: [
              { color: "red", value: null },
              { color: "green", value: 1 },
            ],
          },
          {
            title: "API replicas up",
            description: "API containers answering /metrics (DNS discovery finds every replica).",
            type: "stat",
            unit: "none",
            w: 4,
            h: 5,
            targets: [{ expr: `count(up{${API}} == 1) or vector(0)`, legend: "replicas", instant: true }],
            thresholds: [
              { color: "red", value: null },
              { color: "green", value: 1 },
            ],
          },
          {
            title: "Firing alerts",
            description: "Alerts firing now, by severity (the Watchdog, severity none, always fires).",
            type: "stat",
            unit: "none",
            w: 4,
            h: 5,
            targets: [
              {
                expr: 'sum by (severity) (ALERTS{alertstate="firing"})',
                legend: "{{severity}}",
                instant: true,
              },
            ],
          },
          {
            title: "API version",
            description: "Version of the running API (app_info).",
            type: "stat",
            unit: "none",
            w: 4,
            h: 5,
            targets: [
              { expr: `count by (version) (app_info{${API}})`, legend: "{{version}}", instant: true },
            ],
          },
          {
            title: "Uptime",
            description: "Time since each API process and the host started.",
            type: "stat",
            unit: "dtdurations",
            w: 12,
            h: 5,
            targets: [
              {
                expr: `time() - process_start_time_seconds{${API}}`,
                legend: "api {{instance}}",
                instant: true,
              },
              { expr: "time() - node_boot_time_seconds", legend: "host {{instance}}", instant: true },
            ],
          },
          {
            title: "Request rate",
            description: "API requests per second, all routes.",
            type: "stat",
            unit: "reqps",
            w: 6,
            h: 5,
            targets: [{ expr: `sum(rate(http_requests_total{${API}}[${RI}]))`, legend: "req/s" }],
          },
          {
            title: "5xx ratio",
            description: "Share of API answers with a 5xx status (the availability SLO allows 0.1 %).",
            type: "stat",
            unit: "percentunit",
            w: 6,
            h: 5,
            targets: [
              {
                expr: `(sum(rate(http_requests_total{${API},status=~"5.."}[${RI}])) or vector(0)) / sum(rate(http_requests_total{${API}}[${RI}]))`,
                legend: "5xx",
              },
            ],
            thresholds: [
              { color: "green", value: null },
              { color: "orange", value: 0.001 },
              { color: "red", value: 0.01 },
            ],
          },
        ],
      },
      {
        title: "Containers (cAdvisor)",
        panels: [
          {
            title: "CPU per container",
            description: "CPU used by each container, in cores (1 = one full core).",
            type: "timeseries",
            unit: "short",
            targets: [
              {
                expr: `sum by (name) (rate(container_cpu_usage_seconds_total{name!=""}[${RI}]))`,
                legend: "{{name}}",
              },
            ],
          },
          {
            title: "Memory per container",
            description: "Working set of each container (what counts against its memory limit).",
            type: "timeseries",
            unit: "bytes",
            targets: [
              { expr: 'max by (name) (container_memory_working_set_bytes{name!=""})', legend: "{{name}}" },
            ],
          },
          {
            title: "Memory used of limit",
            description:
              "Working set divided by the container's memory limit; ContainerMemoryNearLimit fires at 90 %.",
            type: "timeseries",
            unit: "percentunit",
            max: 1,
            min: 0,
            targets: [
              {
                expr: 'max by (name) (container_memory_working_set_bytes{name!=""}) / max by (name) (container_spec_memory_limit_bytes{name!=""} > 0)',
                legend: "{{name}}",
              },
            ],
          },
          {
            title: "Network per container",
            description: "Bytes per second received (positive) and sent (negative) by each container.",
            type: "timeseries",
            unit: "Bps",
            targets: [
              {
                expr: `sum by (name) (rate(container_network_receive_bytes_total{name!=""}[${RI}]))`,
                legend: "{{name}} in",
              },
              {
                expr: `-sum by (name) (rate(container_network_transmit_bytes_total{name!=""}[${RI}]))`,
                legend: "{{name}} out",
              },
            ],
          },
        ],
      },
      {
        title: "Host and API processes",
        panels: [
          {
            title: "Host CPU busy",
            description: "Share of CPU time not idle, all cores.",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            max: 1,
            targets: [
              {
                expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[${RI}]))`,
                legend: "{{instance}}",
              },
            ],
          },
          {
            title: "Host memory used",
            description: "Share of memory not available to new processes.",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            max: 1,
            targets: [
              {
                expr: "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
                legend: "{{instance}}",
              },
            ],
          },
          {
            title: "API resident memory",
            description: "Resident memory of each API process.",
            type: "timeseries",
            unit: "bytes",
            targets: [{ expr: `process_resident_memory_bytes{${API}}`, legend: "{{instance}}" }],
          },
          {
            title: "API CPU",
            description: "CPU used by each API process, in cores.",
            type: "timeseries",
            unit: "short",
            targets: [{ expr: `rate(process_cpu_seconds_total{${API}}[${RI}])`, legend: "{{instance}}" }],
          },
        ],
      },
    ],
  },
  {
    uid: "taskplatform-application",
    title: "TaskPlatform / Application",
    description: "The API: RED per route, SLOs and error budgets, database pool, cache, SSE, auth and logs.",
    tags: ["application"],
    loki: true,
    rows: [
      {
        title: "Traffic, errors, latency",
        panels: [
          {
            title: "Requests per second by route",
            description: "Rate of API requests per Hono route template (unmatched = 404s).",
            type: "timeseries",
            unit: "reqps",
            stack: true,
            targets: [
              { expr: `sum by (route) (rate(http_requests_total{${API}}[${RI}]))`, legend: "{{route}}" },
            ],
          },
          {
            title: "Requests per second by status",
            description: "Rate of API answers per HTTP status code.",
            type: "timeseries",
            unit: "reqps",
            stack: true,
            targets: [
              { expr: `sum by (status) (rate(http_requests_total{${API}}[${RI}]))`, legend: "{{status}}" },
            ],
          },
          {
            title: "Latency p50 / p95 / p99",
            description: "Request duration quantiles over all routes, from the histogram.",
            type: "timeseries",
            unit: "s",
            targets: [0.5, 0.95, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{${API}}[${RI}])))`,
              legend: `p${Math.round(q * 100)}`,
            })),
          },
          {
            title: "p95 latency by route",
            description: "95th percentile duration per route (recording rule, 5 minute window).",
            type: "timeseries",
            unit: "s",
            targets: [{ expr: "job_route:http_request_duration_seconds:p95_5m", legend: "{{route}}" }],
          },
          {
            title: "5xx ratio",
            description: "Share of answers with a 5xx status, overall and per route (recording rule).",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            targets: [
              {
                expr: `(sum(rate(http_requests_total{${API},status=~"5.."}[${RI}])) or vector(0)) / sum(rate(http_requests_total{${API}}[${RI}]))`,
                legend: "all routes",
              },
              { expr: "job_route:http_requests_5xx:ratio_rate5m > 0", legend: "{{route}}" },
            ],
          },
          {
            title: "Requests slower than 200 ms",
            description: "Share of requests over the latency SLO threshold (the SLO allows 5 %).",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            targets: [{ expr: "job:slo_latency_errors:ratio_rate5m", legend: "slow share (5m)" }],
          },
        ],
      },
      {
        title: "SLOs and error budgets (30 days)",
        panels: [
          {
            title: "Availability error budget left",
            description: "Share of the 30-day error budget of the 99.9 % availability SLO still unspent.",
            type: "gauge",
            unit: "percentunit",
            w: 6,
            min: 0,
            max: 1,
            targets: [{ expr: "job:slo_availability_error_budget:remaining30d", legend: "availability" }],
            thresholds: [
              { color: "red", value: null },
              { color: "orange", value: 0.25 },
              { color: "green", value: 0.5 },
            ],
          },
          {
            title: "Latency error budget left",
            description:
              "Share of the 30-day budget of the latency SLO (95 % of requests under 200 ms) still unspent.",
            type: "gauge",
            unit: "percentunit",
            w: 6,
            min: 0,
            max: 1,
            targets: [{ expr: "job:slo_latency_error_budget:remaining30d", legend: "latency" }],
            thresholds: [
              { color: "red", value: null },
              { color: "orange", value: 0.25 },
              { color: "green", value: 0.5 },
            ],
          },
          {
            title: "Burn rate",
            description:
              "How fast each budget burns (1 = exactly used up in 30 days). Pages at 14.4 (1h) and 6 (6h).",
            type: "timeseries",
            unit: "none",
            w: 12,
            targets: [
              { expr: "job:slo_availability_errors:ratio_rate1h / 0.001", legend: "availability 1h" },
              { expr: "job:slo_availability_errors:ratio_rate6h / 0.001", legend: "availability 6h" },
              { expr: "job:slo_latency_errors:ratio_rate1h / 0.05", legend: "latency 1h" },
              { expr: "job:slo_latency_errors:ratio_rate6h / 0.05", legend: "latency 6h" },
            ],
          },
        ],
      },
      {
        title: "Database and cache",
        panels: [
          {
            title: "DB pool connections",
            description: "postgres.js pool per API process: open connections against the configured maximum.",
            type: "timeseries",
            unit: "none",
            targets: [
              {
                expr: `sum by (instance, state) (db_pool_connections{${API}})`,
                legend: "{{instance}} {{state}}",
              },
            ],
          },
          {
            title: "DB query p95 by operation",
            description: "95th percentile database query duration per operation.",
            type: "timeseries",
            unit: "s",
            targets: [
              {
                expr: `histogram_quantile(0.95, sum by (operation, le) (rate(db_query_duration_seconds_bucket{${API}}[${RI}])))`,
                legend: "{{operation}}",
              },
            ],
          },
          {
            title: "Cache hit ratio",
            description: "Share of cache lookups answered from Redis (bypasses excluded).",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            max: 1,
            targets: [
              {
                expr: `sum(rate(cache_requests_total{${API},result="hit"}[${RI}])) / sum(rate(cache_requests_total{${API},result=~"hit|miss"}[${RI}]))`,
                legend: "hit ratio",
              },
            ],
          },
          {
            title: "Cache requests",
            description: "Cache lookups per second by result (hit, miss, bypass).",
            type: "timeseries",
            unit: "ops",
            stack: true,
            targets: [
              { expr: `sum by (result) (rate(cache_requests_total{${API}}[${RI}]))`, legend: "{{result}}" },
            ],
          },
        ],
      },
      {
        title: "Users and security",
        panels: [
          {
            title: "SSE clients",
            description: "Open event-stream connections (GET /api/events) per API process.",
            type: "timeseries",
            unit: "none",
            w: 8,
            stack: true,
            targets: [{ expr: `sum by (instance) (sse_clients{${API}})`, legend: "{{instance}}" }],
          },
          {
            title: "Logins",
            description: "Login attempts per second by result.",
            type: "timeseries",
            unit: "ops",
            w: 8,
            targets: [
              { expr: `sum by (result) (rate(auth_logins_total{${API}}[${RI}]))`, legend: "{{result}}" },
            ],
          },
          {
            title: "Auth failures by reason",
            description: "Rejected authentications per second (bad password, expired or invalid token…).",
            type: "timeseries",
            unit: "ops",
            w: 8,
            targets: [
              { expr: `sum by (reason) (rate(auth_failures_total{${API}}[${RI}]))`, legend: "{{reason}}" },
            ],
          },
          {
            title: "Rate-limited requests",
            description: "Requests refused with 429 per second, by limiter scope.",
            type: "timeseries",
            unit: "reqps",
            w: 12,
            targets: [
              { expr: `sum by (scope) (rate(rate_limited_total{${API}}[${RI}]))`, legend: "{{scope}}" },
            ],
          },
          {
            title: "Rate-limited in the last hour",
            description: "Requests refused by the rate limiter over the last hour, by scope.",
            type: "stat",
            unit: "none",
            w: 12,
            targets: [
              {
                expr: `sum by (scope) (increase(rate_limited_total{${API}}[1h]))`,
                legend: "{{scope}}",
                instant: true,
              },
            ],
          },
        ],
      },
      {
        title: "Logs (Loki)",
        panels: [
          {
            title: "API log lines by level",
            description:
              "Log lines per level, from the `level` label Alloy extracts from the API's JSON logs.",
            type: "timeseries",
            ds: "loki",
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
          },
          {
            title: "API errors and 5xx",
            description:
              "Error-level lines and requests answered 5xx, newest first; open a line for its request id.",
            type: "logs",
            ds: "loki",
            w: 24,
            h: 10,
            targets: [{ expr: '{service="api"} | level="error" or status_class="5xx"' }],
          },
          {
            title: "API logs",
            description: "All API log lines, newest first.",
            type: "logs",
            ds: "loki",
            w: 24,
            h: 12,
            targets: [{ expr: '{service="api"}' }],
          },
        ],
      },
    ],
  },
  {
    uid: "taskplatform-infrastructure",
    title: "TaskPlatform / Infrastructure",
    description: "Host disks and network, PostgreSQL, Redis, nginx and the TLS certificate.",
    tags: ["infrastructure"],
    rows: [
      {
        title: "Disk and network",
        panels: [
          {
            title: "Disk space used",
            description: "Share of each filesystem in use; HostDiskFull warns at 90 % and pages at 95 %.",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            max: 1,
            targets: [
              {
                expr: `1 - node_filesystem_avail_bytes{${FS}} / node_filesystem_size_bytes{${FS}}`,
                legend: "{{mountpoint}}",
              },
            ],
          },
          {
            title: "Disk free in 24 h (linear prediction)",
            description: "Free space each filesystem will have in 24 hours at the trend of the last 6 hours.",
            type: "timeseries",
            unit: "bytes",
            targets: [
              {
                expr: `predict_linear(node_filesystem_avail_bytes{${FS}}[6h], 24 * 3600)`,
                legend: "{{mountpoint}}",
              },
            ],
          },
          {
            title: "Disk I/O",
            description: "Bytes per second read (positive) and written (negative) per disk.",
            type: "timeseries",
            unit: "Bps",
            targets: [
              {
                expr: `sum by (device) (rate(node_disk_read_bytes_total[${RI}]))`,
                legend: "{{device}} read",
              },
              {
                expr: `-sum by (device) (rate(node_disk_written_bytes_total[${RI}]))`,
                legend: "{{device}} write",
              },
            ],
          },
          {
            title: "Network I/O",
            description: "Bytes per second received (positive) and sent (negative) per host interface.",
            type: "timeseries",
            unit: "Bps",
            targets: [
              {
                expr: `sum by (device) (rate(node_network_receive_bytes_total{device!~"lo|veth.*|br-.*|docker.*|podman.*"}[${RI}]))`,
                legend: "{{device}} in",
              },
              {
                expr: `-sum by (device) (rate(node_network_transmit_bytes_total{device!~"lo|veth.*|br-.*|docker.*|podman.*"}[${RI}]))`,
                legend: "{{device}} out",
              },
            ],
          },
        ],
      },
      {
        title: "PostgreSQL",
        panels: [
          {
            title: "PostgreSQL up",
            description: "Whether postgres-exporter can connect to PostgreSQL.",
            type: "stat",
            unit: "none",
            w: 4,
            h: 6,
            targets: [{ expr: "min(pg_up)", legend: "postgres", instant: true }],
            mappings: upMappings,
            thresholds: [
              { color: "red", value: null },
              { color: "green", value: 1 },
            ],
          },
          {
            title: "Connections of max_connections",
            description: "Backends in use against max_connections; PostgresConnectionsNearMax fires at 80 %.",
            type: "gauge",
            unit: "percentunit",
            w: 4,
            h: 6,
            min: 0,
            max: 1,
            targets: [
              {
                expr: "sum by (instance) (pg_stat_activity_count) / max by (instance) (pg_settings_max_connections)",
                legend: "{{instance}}",
              },
            ],
            thresholds: [
              { color: "green", value: null },
              { color: "orange", value: 0.7 },
              { color: "red", value: 0.8 },
            ],
          },
          {
            title: "Connections by state",
            description: "PostgreSQL backends by state (active, idle, idle in transaction…).",
            type: "timeseries",
            unit: "none",
            w: 8,
            h: 6,
            stack: true,
            targets: [{ expr: "sum by (state) (pg_stat_activity_count)", legend: "{{state}}" }],
          },
          {
            title: "Database size",
            description: "Size on disk of each database.",
            type: "timeseries",
            unit: "bytes",
            w: 8,
            h: 6,
            targets: [{ expr: "pg_database_size_bytes", legend: "{{datname}}" }],
          },
          {
            title: "Transactions per second",
            description: "Commits and rollbacks per second per database.",
            type: "timeseries",
            unit: "ops",
            targets: [
              {
                expr: `sum by (datname) (rate(pg_stat_database_xact_commit[${RI}]))`,
                legend: "{{datname}} commit",
              },
              {
                expr: `sum by (datname) (rate(pg_stat_database_xact_rollback[${RI}]))`,
                legend: "{{datname}} rollback",
              },
            ],
          },
          {
            title: "Deadlocks",
            description: "Deadlocks detected per database; any is worth a look (PostgresDeadlocks).",
            type: "timeseries",
            unit: "short",
            targets: [
              {
                expr: `sum by (datname) (increase(pg_stat_database_deadlocks[${RI}]))`,
                legend: "{{datname}}",
              },
            ],
          },
        ],
      },
      {
        title: "Redis",
        panels: [
          {
            title: "Redis up",
            description: "Whether redis-exporter can connect to Redis.",
            type: "stat",
            unit: "none",
            w: 4,
            h: 6,
            targets: [{ expr: "min(redis_up)", legend: "redis", instant: true }],
            mappings: upMappings,
            thresholds: [
              { color: "red", value: null },
              { color: "green", value: 1 },
            ],
          },
          {
            title: "Memory used",
            description: "Memory Redis uses, and maxmemory when set (RedisMemoryNearMax fires at 90 %).",
            type: "timeseries",
            unit: "bytes",
            w: 10,
            h: 6,
            targets: [
              { expr: "redis_memory_used_bytes", legend: "used" },
              { expr: "redis_memory_max_bytes > 0", legend: "maxmemory" },
            ],
          },
          {
            title: "Clients and rejected connections",
            description: "Connected clients, and connections refused at maxclients.",
            type: "timeseries",
            unit: "short",
            w: 10,
            h: 6,
            targets: [
              { expr: "redis_connected_clients", legend: "connected" },
              { expr: `increase(redis_rejected_connections_total[${RI}])`, legend: "rejected" },
            ],
          },
          {
            title: "Commands per second",
            description: "Commands Redis processes per second.",
            type: "timeseries",
            unit: "ops",
            targets: [{ expr: `rate(redis_commands_processed_total[${RI}])`, legend: "{{instance}}" }],
          },
          {
            title: "Keyspace hit ratio",
            description: "Share of key lookups that found their key.",
            type: "timeseries",
            unit: "percentunit",
            min: 0,
            max: 1,
            targets: [
              {
                expr: `rate(redis_keyspace_hits_total[${RI}]) / (rate(redis_keyspace_hits_total[${RI}]) + rate(redis_keyspace_misses_total[${RI}]))`,
                legend: "hit ratio",
              },
            ],
          },
        ],
      },
      {
        title: "Proxy (nginx) and TLS",
        panels: [
          {
            title: "nginx requests per second",
            description: "Requests nginx handles per second (stub_status), all virtual hosts.",
            type: "timeseries",
            unit: "reqps",
            w: 8,
            targets: [{ expr: `rate(nginx_http_requests_total[${RI}])`, legend: "{{instance}}" }],
          },
          {
            title: "nginx connections",
            description: "Client connections by state: active, reading, writing, waiting (keep-alive).",
            type: "timeseries",
            unit: "none",
            w: 8,
            targets: [
              { expr: "nginx_connections_active", legend: "active" },
              { expr: "nginx_connections_reading", legend: "reading" },
              { expr: "nginx_connections_writing", legend: "writing" },
              { expr: "nginx_connections_waiting", legend: "waiting" },
            ],
          },
          {
            title: "TLS certificate expires in",
            description: "Time until the certificate the proxy serves expires; alerts under 14 and 3 days.",
            type: "stat",
            unit: "dtdurations",
            w: 8,
            targets: [
              { expr: "probe_ssl_earliest_cert_expiry - time()", legend: "{{instance}}", instant: true },
            ],
            thresholds: [
              { color: "red", value: null },
              { color: "orange", value: 3 * 86400 },
              { color: "green", value: 14 * 86400 },
            ],
          },
        ],
      },
    ],
  },
];

export function build(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of dashboards) {
    const name = `${spec.uid.replace(/^taskplatform-/, "")}.json`;
    out[name] = `${JSON.stringify(dashboard(spec), null, 2)}\n`;
  }
  return out;
}

if (import.meta.main) {
  const dir = join(import.meta.dir, "dashboards");
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(build())) {
    writeFileSync(join(dir, name), text);
    console.log(`wrote ${join(dir, name)}`);
  }
}
