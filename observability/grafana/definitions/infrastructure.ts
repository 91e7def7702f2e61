// Is the machine OK? Host disks and network, PostgreSQL, Redis, nginx and the TLS certificate.
import { dashboard } from "../lib/dashboard.ts";
import { gauge, stat, thresholds, timeseries, upStat, ZERO_TO_100_PERCENT } from "../lib/panels.ts";
import { RATE_INTERVAL } from "../lib/promql.ts";

/** Filesystems that hold data: no memory-backed, overlay or FUSE mounts, nothing under /run, /dev, /sys, /proc. */
const REAL_FILESYSTEMS =
  'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.*",mountpoint!~"/(run|dev|sys|proc)($|/.*)"';

export const infrastructure = dashboard({
  uid: "taskplatform-infrastructure",
  title: "TaskPlatform / Infrastructure",
  description: "Host disks and network, PostgreSQL, Redis, nginx and the TLS certificate.",
  tags: ["infrastructure"],
  rows: [
    {
      title: "Disk and network",
      panels: [
        timeseries({
          title: "Disk space used",
          description: "Share of each filesystem in use; HostDiskFull warns at 90 % and pages at 95 %.",
          ...ZERO_TO_100_PERCENT,
          targets: [
            {
              expr: `1 - node_filesystem_avail_bytes{${REAL_FILESYSTEMS}} / node_filesystem_size_bytes{${REAL_FILESYSTEMS}}`,
              legend: "{{mountpoint}}",
            },
          ],
        }),
        timeseries({
          title: "Disk free in 24 h (linear prediction)",
          description: "Free space each filesystem will have in 24 hours at the trend of the last 6 hours.",
          unit: "bytes",
          targets: [
            {
              expr: `predict_linear(node_filesystem_avail_bytes{${REAL_FILESYSTEMS}}[6h], 24 * 3600)`,
              legend: "{{mountpoint}}",
            },
          ],
        }),
        timeseries({
          title: "Disk I/O",
          description: "Bytes per second read (positive) and written (negative) per disk.",
          unit: "Bps",
          targets: [
            {
              expr: `sum by (device) (rate(node_disk_read_bytes_total[${RATE_INTERVAL}]))`,
              legend: "{{device}} read",
            },
            {
              expr: `-sum by (device) (rate(node_disk_written_bytes_total[${RATE_INTERVAL}]))`,
              legend: "{{device}} write",
            },
          ],
        }),
        timeseries({
          title: "Network I/O",
          description: "Bytes per second received (positive) and sent (negative) per host interface.",
          unit: "Bps",
          targets: [
            {
              expr: `sum by (device) (rate(node_network_receive_bytes_total{device!~"lo|veth.*|br-.*|docker.*|podman.*"}[${RATE_INTERVAL}]))`,
              legend: "{{device}} in",
            },
            {
              expr: `-sum by (device) (rate(node_network_transmit_bytes_total{device!~"lo|veth.*|br-.*|docker.*|podman.*"}[${RATE_INTERVAL}]))`,
              legend: "{{device}} out",
            },
          ],
        }),
      ],
    },
    {
      title: "PostgreSQL",
      panels: [
        upStat({
          title: "PostgreSQL up",
          description: "Whether postgres-exporter can connect to PostgreSQL.",
          w: 4,
          h: 6,
          expr: "min(pg_up)",
          legend: "postgres",
        }),
        gauge({
          title: "Connections of max_connections",
          description: "Backends in use against max_connections; PostgresConnectionsNearMax fires at 80 %.",
          ...ZERO_TO_100_PERCENT,
          w: 4,
          h: 6,
          targets: [
            {
              expr: "sum by (instance) (pg_stat_activity_count) / max by (instance) (pg_settings_max_connections)",
              legend: "{{instance}}",
            },
          ],
          thresholds: thresholds("green", { orange: 0.7, red: 0.8 }),
        }),
        timeseries({
          title: "Connections by state",
          description: "PostgreSQL backends by state (active, idle, idle in transaction…).",
          unit: "none",
          w: 8,
          h: 6,
          stack: true,
          targets: [{ expr: "sum by (state) (pg_stat_activity_count)", legend: "{{state}}" }],
        }),
        timeseries({
          title: "Database size",
          description: "Size on disk of each database.",
          unit: "bytes",
          w: 8,
          h: 6,
          targets: [{ expr: "pg_database_size_bytes", legend: "{{datname}}" }],
        }),
        timeseries({
          title: "Transactions per second",
          description: "Commits and rollbacks per second per database.",
          unit: "ops",
          targets: [
            {
              expr: `sum by (datname) (rate(pg_stat_database_xact_commit[${RATE_INTERVAL}]))`,
              legend: "{{datname}} commit",
            },
            {
              expr: `sum by (datname) (rate(pg_stat_database_xact_rollback[${RATE_INTERVAL}]))`,
              legend: "{{datname}} rollback",
            },
          ],
        }),
        timeseries({
          title: "Deadlocks",
          description: "Deadlocks detected per database; any is worth a look (PostgresDeadlocks).",
          unit: "short",
          targets: [
            {
              expr: `sum by (datname) (increase(pg_stat_database_deadlocks[${RATE_INTERVAL}]))`,
              legend: "{{datname}}",
            },
          ],
        }),
      ],
    },
    {
      title: "Backups and WAL archiving",
      panels: [
        stat({
          title: "Last WAL segment archived",
          description:
            "Seconds since pgBackRest last archived a WAL segment (archive_timeout = 60 s while anything is written): the RPO of a data loss right now. WalArchivingLagging fires after 30 min.",
          unit: "s",
          w: 6,
          h: 6,
          targets: [{ expr: "max(pg_stat_archiver_last_archive_age)", legend: "age", instant: true }],
          thresholds: thresholds("green", { orange: 600, red: 1800 }),
        }),
        stat({
          title: "Last successful backup",
          description:
            "Age of the last successful backup of each kind (pgbackrest: full/differential for point-in-time recovery; pg_dump: the portable archive). BackupTooOld fires after 27 h.",
          unit: "s",
          w: 6,
          h: 6,
          targets: [
            {
              expr: "time() - max by (kind) (taskplatform_backup_last_success_timestamp_seconds)",
              legend: "{{kind}}",
              instant: true,
            },
          ],
          thresholds: thresholds("green", { orange: 26 * 3600, red: 27 * 3600 }),
        }),
        timeseries({
          title: "WAL segments archived and failed",
          description:
            "archive_command successes and failures; any failure that keeps counting fires WalArchivingFailing.",
          unit: "short",
          targets: [
            { expr: `sum(increase(pg_stat_archiver_archived_count[${RATE_INTERVAL}]))`, legend: "archived" },
            { expr: `sum(increase(pg_stat_archiver_failed_count[${RATE_INTERVAL}]))`, legend: "failed" },
          ],
        }),
      ],
    },
    {
      title: "Redis",
      panels: [
        upStat({
          title: "Redis up",
          description: "Whether redis-exporter can connect to Redis.",
          w: 4,
          h: 6,
          expr: "min(redis_up)",
          legend: "redis",
        }),
        timeseries({
          title: "Memory used",
          description: "Memory Redis uses, and maxmemory when set (RedisMemoryNearMax fires at 90 %).",
          unit: "bytes",
          w: 10,
          h: 6,
          targets: [
            { expr: "redis_memory_used_bytes", legend: "used" },
            { expr: "redis_memory_max_bytes > 0", legend: "maxmemory" },
          ],
        }),
        timeseries({
          title: "Clients and rejected connections",
          description: "Connected clients, and connections refused at maxclients.",
          unit: "short",
          w: 10,
          h: 6,
          targets: [
            { expr: "redis_connected_clients", legend: "connected" },
            { expr: `increase(redis_rejected_connections_total[${RATE_INTERVAL}])`, legend: "rejected" },
          ],
        }),
        timeseries({
          title: "Commands per second",
          description: "Commands Redis processes per second.",
          unit: "ops",
          targets: [
            { expr: `rate(redis_commands_processed_total[${RATE_INTERVAL}])`, legend: "{{instance}}" },
          ],
        }),
        timeseries({
          title: "Keyspace hit ratio",
          description: "Share of key lookups that found their key.",
          ...ZERO_TO_100_PERCENT,
          targets: [
            {
              expr: `rate(redis_keyspace_hits_total[${RATE_INTERVAL}]) / (rate(redis_keyspace_hits_total[${RATE_INTERVAL}]) + rate(redis_keyspace_misses_total[${RATE_INTERVAL}]))`,
              legend: "hit ratio",
            },
          ],
        }),
      ],
    },
    {
      title: "Proxy (nginx) and TLS",
      panels: [
        timeseries({
          title: "nginx requests per second",
          description: "Requests nginx handles per second (stub_status), all virtual hosts.",
          unit: "reqps",
          w: 8,
          targets: [{ expr: `rate(nginx_http_requests_total[${RATE_INTERVAL}])`, legend: "{{instance}}" }],
        }),
        timeseries({
          title: "nginx connections",
          description: "Client connections by state: active, reading, writing, waiting (keep-alive).",
          unit: "none",
          w: 8,
          targets: ["active", "reading", "writing", "waiting"].map((state) => ({
            expr: `nginx_connections_${state}`,
            legend: state,
          })),
        }),
        stat({
          title: "TLS certificate expires in",
          description: "Time until the certificate the proxy serves expires; alerts under 14 and 3 days.",
          unit: "dtdurations",
          w: 8,
          targets: [
            { expr: "probe_ssl_earliest_cert_expiry - time()", legend: "{{instance}}", instant: true },
          ],
          thresholds: thresholds("red", { orange: 3 * 86400, green: 14 * 86400 }),
        }),
      ],
    },
  ],
});
