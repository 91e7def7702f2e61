// Is everything up? The home dashboard: scrape targets, alerts, containers, host and API processes.
import { dashboard } from "../lib/dashboard.ts";
import { GREEN_FROM_ONE, stat, thresholds, timeseries, upStat, ZERO_TO_100_PERCENT } from "../lib/panels.ts";
import { API_5XX_RATIO, API_JOB, RATE_INTERVAL } from "../lib/promql.ts";

export const overview = dashboard({
  uid: "taskplatform-overview",
  title: "TaskPlatform / Overview",
  description: "Is everything up? Services, alerts, CPU, memory and network per container, uptime.",
  tags: ["overview"],
  rows: [
    {
      title: "Services",
      panels: [
        upStat({
          title: "Targets up",
          description: "Every scrape target by job: UP when Prometheus scraped it successfully.",
          w: 12,
          h: 5,
          expr: "min by (job) (up)",
          legend: "{{job}}",
        }),
        stat({
          title: "API replicas up",
          description: "API containers answering /metrics (DNS discovery finds every replica).",
          unit: "none",
          w: 4,
          h: 5,
          targets: [{ expr: `count(up{${API_JOB}} == 1) or vector(0)`, legend: "replicas", instant: true }],
          thresholds: GREEN_FROM_ONE,
        }),
        stat({
          title: "Firing alerts",
          description: "Alerts firing now, by severity (the Watchdog, severity none, always fires).",
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
        }),
        stat({
          title: "API version",
          description: "Version of the running API (app_info).",
          unit: "none",
          w: 4,
          h: 5,
          targets: [
            { expr: `count by (version) (app_info{${API_JOB}})`, legend: "{{version}}", instant: true },
          ],
        }),
        stat({
          title: "Uptime",
          description: "Time since each API process and the host started.",
          unit: "dtdurations",
          w: 12,
          h: 5,
          targets: [
            {
              expr: `time() - process_start_time_seconds{${API_JOB}}`,
              legend: "api {{instance}}",
              instant: true,
            },
            { expr: "time() - node_boot_time_seconds", legend: "host {{instance}}", instant: true },
          ],
        }),
        stat({
          title: "Request rate",
          description: "API requests per second, all routes.",
          unit: "reqps",
          w: 6,
          h: 5,
          targets: [
            { expr: `sum(rate(http_requests_total{${API_JOB}}[${RATE_INTERVAL}]))`, legend: "req/s" },
          ],
        }),
        stat({
          title: "5xx ratio",
          description: "Share of API answers with a 5xx status (the availability SLO allows 0.1 %).",
          unit: "percentunit",
          w: 6,
          h: 5,
          targets: [{ expr: API_5XX_RATIO, legend: "5xx" }],
          thresholds: thresholds("green", { orange: 0.001, red: 0.01 }),
        }),
      ],
    },
    {
      title: "Containers (cAdvisor)",
      panels: [
        timeseries({
          title: "CPU per container",
          description: "CPU used by each container, in cores (1 = one full core).",
          unit: "short",
          targets: [
            {
              expr: `sum by (name) (rate(container_cpu_usage_seconds_total{name!=""}[${RATE_INTERVAL}]))`,
              legend: "{{name}}",
            },
          ],
        }),
        timeseries({
          title: "Memory per container",
          description: "Working set of each container (what counts against its memory limit).",
          unit: "bytes",
          targets: [
            { expr: 'max by (name) (container_memory_working_set_bytes{name!=""})', legend: "{{name}}" },
          ],
        }),
        timeseries({
          title: "Memory used of limit",
          description:
            "Working set divided by the container's memory limit; ContainerMemoryNearLimit fires at 90 %.",
          ...ZERO_TO_100_PERCENT,
          targets: [
            {
              expr: 'max by (name) (container_memory_working_set_bytes{name!=""}) / max by (name) (container_spec_memory_limit_bytes{name!=""} > 0)',
              legend: "{{name}}",
            },
          ],
        }),
        timeseries({
          title: "Network per container",
          description: "Bytes per second received (positive) and sent (negative) by each container.",
          unit: "Bps",
          targets: [
            {
              expr: `sum by (name) (rate(container_network_receive_bytes_total{name!=""}[${RATE_INTERVAL}]))`,
              legend: "{{name}} in",
            },
            {
              expr: `-sum by (name) (rate(container_network_transmit_bytes_total{name!=""}[${RATE_INTERVAL}]))`,
              legend: "{{name}} out",
            },
          ],
        }),
      ],
    },
    {
      title: "Host and API processes",
      panels: [
        timeseries({
          title: "Host CPU busy",
          description: "Share of CPU time not idle, all cores.",
          ...ZERO_TO_100_PERCENT,
          targets: [
            {
              expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[${RATE_INTERVAL}]))`,
              legend: "{{instance}}",
            },
          ],
        }),
        timeseries({
          title: "Host memory used",
          description: "Share of memory not available to new processes.",
          ...ZERO_TO_100_PERCENT,
          targets: [
            {
              expr: "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
              legend: "{{instance}}",
            },
          ],
        }),
        timeseries({
          title: "API resident memory",
          description: "Resident memory of each API process.",
          unit: "bytes",
          targets: [{ expr: `process_resident_memory_bytes{${API_JOB}}`, legend: "{{instance}}" }],
        }),
        timeseries({
          title: "API CPU",
          description: "CPU used by each API process, in cores.",
          unit: "short",
          targets: [
            { expr: `rate(process_cpu_seconds_total{${API_JOB}}[${RATE_INTERVAL}])`, legend: "{{instance}}" },
          ],
        }),
      ],
    },
  ],
});
