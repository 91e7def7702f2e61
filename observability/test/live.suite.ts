// Live check of the monitoring configuration against real processes on this machine:
// Debian's Prometheus runs the project's rules with prometheus.yml's jobs pointed at two real API
// instances (real PostgreSQL and Redis), node-exporter, postgres-exporter, redis-exporter, nginx with
// stub_status + nginx-prometheus-exporter, blackbox-exporter probing nginx's TLS port, and Alertmanager
// with the project's alertmanager.yml. After some traffic it asserts that every target is up, every rule
// is healthy, every recording rule and dashboard query evaluates and (where it should) returns series,
// and that no query names a metric nobody exports.
// Run: bun test ./observability/test/live.suite.ts   (needs the Debian packages in .ci/apt-packages)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningApi, startApi } from "../../api/test/support/api-process.ts";
import { freePort, type RunningService, startPostgres, startRedis } from "../../api/test/support/services.ts";
import { nginxConfig, type Proc, selfSignedCert, spawn, stopAll, tempDir, waitHttp } from "./processes.ts";
import {
  dashboardQueries,
  grafanaToPromQL,
  loadRules,
  metricNames,
  OBS,
  processLogLine,
  RULES_DIR,
  yaml,
} from "./support.ts";

/** Metrics of exporters that have no Debian package (cAdvisor): allowed to be missing here. */
const EXTERNAL_METRICS = new Set([
  "container_cpu_usage_seconds_total",
  "container_memory_working_set_bytes",
  "container_spec_memory_limit_bytes",
  "container_network_receive_bytes_total",
  "container_network_transmit_bytes_total",
]);
/** Series Prometheus makes itself. */
const BUILTIN_METRICS = new Set(["ALERTS", "ALERTS_FOR_STATE"]);
/** Queries that are legitimately empty in a healthy test run (and why). */
const MAY_BE_EMPTY: Record<string, string> = {
  "job_route:http_requests_5xx:ratio_rate5m > 0": "only routes with 5xx answers; a healthy run has none",
  "redis_memory_max_bytes > 0": "the test Redis runs without maxmemory",
};

const STEP = "2s";
let pg: RunningService;
let redis: RunningService;
const apis: RunningApi[] = [];
let prom: string;
let am: string;
let prometheus: Proc;
let alertmanagerProc: Proc;
let tlsPort = 0;
const scrapedJobs: Record<string, string[]> = {};
const streams: AbortController[] = [];

async function promQuery(
  expr: string,
): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const r = await fetch(`${prom}/api/v1/query`, {
    method: "POST",
    body: new URLSearchParams({ query: expr }),
  });
  return (await r.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

async function exportedMetricNames(): Promise<Set<string>> {
  const r = (await (await fetch(`${prom}/api/v1/label/__name__/values`)).json()) as { data: string[] };
  return new Set(r.data);
}

/** Failures of a set of PromQL queries: evaluation errors, unknown metrics, unexpected empty results. */
async function checkQueries(
  queries: { where: string; expr: string }[],
  known: Set<string>,
): Promise<{ errors: string[]; unknown: string[]; empty: string[] }> {
  const errors: string[] = [];
  const unknown: string[] = [];
  const empty: string[] = [];
  for (const q of queries) {
    const expr = grafanaToPromQL(q.expr, "2m");
    const names = metricNames(expr);
    const missing = names.filter((n) => !known.has(n) && !EXTERNAL_METRICS.has(n) && !BUILTIN_METRICS.has(n));
    if (missing.length) unknown.push(`${q.where}: ${missing.join(", ")} (no process exports it)`);
    const res = await promQuery(expr);
    if (res.status !== "success") {
      errors.push(`${q.where}: ${res.error} — ${expr}`);
      continue;
    }
    const external = names.some((n) => EXTERNAL_METRICS.has(n));
    if (!external && !(q.expr in MAY_BE_EMPTY) && (res.data?.result.length ?? 0) === 0) {
      empty.push(`${q.where}: ${expr}`);
    }
  }
  return { errors, unknown, empty };
}

function requireBinary(name: string): string {
  const path = Bun.which(name);
  if (!path) throw new Error(`${name} not found: apt-get install the packages in .ci/apt-packages`);
  return path;
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  // Low auth rate limit, so a burst of logins produces rate_limited_total.
  const env = { RATE_LIMIT_AUTH_IP: "8", LOG_LEVEL: "info" };
  apis.push(await startApi({ databaseUrl: pg.url, redisUrl: redis.url, env }));
  apis.push(await startApi({ databaseUrl: pg.url, redisUrl: redis.url, env }));

  const work = tempDir("tp-obs-live-");
  const port = async () => `127.0.0.1:${await freePort()}`;

  // the backup metrics, written by the same function scripts/backup.sh uses, for the textfile collector
  const textfiles = join(work, "textfile");
  const written = Bun.spawnSync(
    [
      "bash",
      "-c",
      `source scripts/lib.sh && source scripts/lib/pitr.sh && backup_metric pg_dump && backup_metric pgbackrest`,
    ],
    { cwd: join(OBS, ".."), env: { ...process.env, BACKUP_METRICS_DIR: textfiles }, stderr: "pipe" },
  );
  if (written.exitCode !== 0) throw new Error(`backup_metric: ${written.stderr.toString()}`);
  const node = await port();
  const nodeP = spawn("node-exporter", [
    requireBinary("prometheus-node-exporter"),
    `--web.listen-address=${node}`,
    "--collector.disable-defaults",
    ...[
      "cpu",
      "meminfo",
      "filesystem",
      "diskstats",
      "netdev",
      "loadavg",
      "stat",
      "time",
      "uname",
      "textfile",
    ].map((c) => `--collector.${c}`),
    `--collector.textfile.directory=${textfiles}`,
  ]);

  const pgExp = await port();
  const pgP = spawn(
    "postgres-exporter",
    [requireBinary("prometheus-postgres-exporter"), `--web.listen-address=${pgExp}`],
    {
      DATA_SOURCE_NAME: `${pg.url}?sslmode=disable`,
    },
  );

  const redisExp = await port();
  const redisP = spawn("redis-exporter", [
    requireBinary("prometheus-redis-exporter"),
    `-redis.addr=${redis.url}`,
    `-web.listen-address=${redisExp}`,
  ]);

  const statusPort = await freePort();
  tlsPort = await freePort();
  const { cert, key } = selfSignedCert(work, 10);
  const conf = nginxConfig({
    dir: work,
    statusPort,
    tlsPort,
    upstreams: apis.map((a) => `127.0.0.1:${a.port}`),
    cert,
    key,
  });
  const nginxP = spawn("nginx", [
    requireBinary("nginx"),
    "-c",
    conf,
    "-p",
    work,
    "-e",
    join(work, "error.log"),
  ]);
  await waitHttp(nginxP, `http://127.0.0.1:${statusPort}/stub_status`);

  const nginxExp = await port();
  const nginxExpP = spawn("nginx-exporter", [
    requireBinary("prometheus-nginx-exporter"),
    `-nginx.scrape-uri=http://127.0.0.1:${statusPort}/stub_status`,
    `-web.listen-address=${nginxExp}`,
  ]);

  const blackbox = await port();
  const blackboxP = spawn("blackbox-exporter", [
    requireBinary("prometheus-blackbox-exporter"),
    `--config.file=${join(OBS, "blackbox", "blackbox.yml")}`,
    `--web.listen-address=${blackbox}`,
  ]);

  const amAddr = await port();
  am = `http://${amAddr}`;
  const amP = spawn("alertmanager", [
    requireBinary("prometheus-alertmanager"),
    `--config.file=${join(OBS, "alertmanager", "alertmanager.yml")}`,
    `--storage.path=${join(work, "alertmanager")}`,
    `--web.listen-address=${amAddr}`,
    "--cluster.listen-address=",
  ]);
  alertmanagerProc = amP;

  const promAddr = await port();
  prom = `http://${promAddr}`;

  // The project's prometheus.yml with every job's discovery swapped for the local processes.
  const targets: Record<string, string[]> = {
    prometheus: [promAddr],
    api: apis.map((a) => `127.0.0.1:${a.port}`),
    node: [node],
    postgres: [pgExp],
    redis: [redisExp],
    nginx: [nginxExp],
    blackbox: [blackbox],
    "blackbox-tls": [blackbox],
    alertmanager: [amAddr],
  };
  // biome-ignore lint/suspicious/noExplicitAny: prometheus.yml is untyped
  const cfg = yaml(join(OBS, "prometheus", "prometheus.yml")) as any;
  cfg.global.scrape_interval = STEP;
  cfg.global.evaluation_interval = STEP;
  cfg.global.scrape_timeout = STEP;
  const rulesDir = join(work, "rules");
  cpSync(RULES_DIR, rulesDir, { recursive: true });
  for (const f of readdirSync(rulesDir)) {
    // evaluate every group at the test's pace
    const p = join(rulesDir, f);
    writeFileSync(p, readFileSync(p, "utf8").replace(/^(\s+)interval: .*$/gm, `$1interval: ${STEP}`));
  }
  cfg.rule_files = [join(rulesDir, "*.yml")];
  cfg.alerting.alertmanagers = [{ api_version: "v2", static_configs: [{ targets: [amAddr] }] }];
  // biome-ignore lint/suspicious/noExplicitAny: scrape config entries
  cfg.scrape_configs = cfg.scrape_configs.filter((s: any) => targets[s.job_name]);
  for (const s of cfg.scrape_configs) {
    delete s.dns_sd_configs;
    s.static_configs = [{ targets: targets[s.job_name] }];
    if (s.job_name === "blackbox-tls") {
      // probe the local nginx instead of proxy:8443
      s.params.target = [`127.0.0.1:${tlsPort}`];
      for (const r of s.relabel_configs ?? [])
        if (r.target_label === "instance") r.replacement = `127.0.0.1:${tlsPort}`;
    }
    scrapedJobs[s.job_name] = targets[s.job_name] as string[];
  }
  const cfgPath = join(work, "prometheus.yml");
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const check = Bun.spawnSync([requireBinary("promtool"), "check", "config", cfgPath], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (check.exitCode !== 0) throw new Error(`promtool check config (live):\n${check.stdout}${check.stderr}`);

  prometheus = spawn("prometheus", [
    requireBinary("prometheus"),
    `--config.file=${cfgPath}`,
    `--storage.tsdb.path=${join(work, "tsdb")}`,
    `--web.listen-address=${promAddr}`,
    "--storage.tsdb.retention.time=1d",
    // resend firing alerts at the test's pace (default 1m)
    `--rules.alert.resend-delay=${STEP}`,
  ]);

  for (const [p, url] of [
    [nodeP, `http://${node}/metrics`],
    [pgP, `http://${pgExp}/metrics`],
    [redisP, `http://${redisExp}/metrics`],
    [nginxExpP, `http://${nginxExp}/metrics`],
    [blackboxP, `http://${blackbox}/metrics`],
    [amP, `${am}/-/ready`],
    [prometheus, `${prom}/-/ready`],
  ] as const) {
    await waitHttp(p, url);
  }

  await traffic();
  // Let several scrapes and rule evaluations happen after the traffic.
  await Bun.sleep(12_000);
}, 120_000);

afterAll(async () => {
  for (const c of streams) c.abort();
  for (const a of apis) {
    await Promise.race([a.stop(), Bun.sleep(10_000)]);
    if (a.proc.exitCode === null) await a.stop("SIGKILL");
  }
  await stopAll();
  await Promise.all([pg?.stop(), redis?.stop()]);
}, 60_000);

/** Traffic that touches every application metric: requests, cache, SSE, logins, auth failures, 429s. */
async function traffic(): Promise<void> {
  const [a, b] = apis as [RunningApi, RunningApi];
  const json = (body: unknown, token?: string) => ({
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const email = `obs-${Date.now()}@example.com`;
  const password = "correct horse battery staple 42";
  const reg = await fetch(`${a.url}/api/auth/register`, json({ email, password, name: "Obs" }));
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await fetch(`${b.url}/api/auth/login`, json({ email, password }));
  const { accessToken } = (await login.json()) as { accessToken: string };
  await fetch(`${b.url}/api/auth/login`, json({ email, password: "wrong password entirely" }));
  await fetch(`${a.url}/api/auth/me`, { headers: { authorization: "Bearer not-a-token" } });

  const project = (await (
    await fetch(`${a.url}/api/projects`, json({ name: "Observability" }, accessToken))
  ).json()) as {
    id: string;
  };
  for (let i = 0; i < 5; i++) {
    await fetch(
      `${apis[i % 2]?.url}/api/tasks`,
      json({ projectId: project.id, title: `task ${i}` }, accessToken),
    );
  }
  const auth = { headers: { authorization: `Bearer ${accessToken}` } };
  for (let i = 0; i < 30; i++) {
    const api = apis[i % 2] as RunningApi;
    await fetch(`${api.url}/api/tasks?projectId=${project.id}`, auth); // miss, then hits
    await fetch(`${api.url}/api/projects`, auth);
    await fetch(`${api.url}/nope/${i}`); // unmatched 404
    await fetch(`${api.url}/api/health`);
  }
  // Through nginx (TLS) too, for nginx_http_requests_total.
  for (let i = 0; i < 10; i++) {
    await fetch(`https://127.0.0.1:${tlsPort}/api/health`, { tls: { rejectUnauthorized: false } });
  }
  // Live event streams stay open until the suite ends (sse_clients > 0 during scrapes).
  for (const api of apis) {
    const controller = new AbortController();
    const res = await fetch(`${api.url}/api/events`, {
      headers: { authorization: `Bearer ${accessToken}` },
      signal: controller.signal,
    });
    void res.body
      ?.getReader()
      .read()
      .catch(() => {});
    streams.push(controller);
  }
  // A burst of logins trips the auth rate limit (RATE_LIMIT_AUTH_IP=8).
  for (let i = 0; i < 12; i++)
    await fetch(`${a.url}/api/auth/login`, json({ email, password: "wrong again" }));
}

describe("live Prometheus with the project's rules", () => {
  test("every target of every job is up, both API instances included", async () => {
    const r = (await (await fetch(`${prom}/api/v1/targets?state=active`)).json()) as {
      data: {
        activeTargets: { labels: { job: string; instance: string }; health: string; lastError: string }[];
      };
    };
    const targets = r.data.activeTargets;
    for (const job of Object.keys(scrapedJobs)) {
      const ofJob = targets.filter((t) => t.labels.job === job);
      expect({ job, count: ofJob.length }).toEqual({ job, count: scrapedJobs[job]?.length ?? 0 });
      for (const t of ofJob) {
        expect({ job, instance: t.labels.instance, health: t.health, err: t.lastError }).toEqual({
          job,
          instance: t.labels.instance,
          health: "up",
          err: "",
        });
      }
    }
    expect(targets.filter((t) => t.labels.job === "api")).toHaveLength(2);
  });

  test("every rule group loaded and every rule is healthy", async () => {
    const r = (await (await fetch(`${prom}/api/v1/rules`)).json()) as {
      data: {
        groups: {
          name: string;
          rules: { name: string; health: string; lastError?: string; type: string }[];
        }[];
      };
    };
    const loaded = r.data.groups.flatMap((g) => g.rules);
    expect(loaded.length).toBe(loadRules().length);
    for (const rule of loaded) {
      expect({ rule: rule.name, health: rule.health, err: rule.lastError ?? "" }).toEqual({
        rule: rule.name,
        health: "ok",
        err: "",
      });
    }
  });

  test("every recording rule evaluates and records series", async () => {
    const known = await exportedMetricNames();
    const recording = loadRules().filter((r) => r.record);
    const result = await checkQueries(
      recording.map((r) => ({ where: `rule ${r.record}`, expr: r.expr })),
      known,
    );
    expect(result).toEqual({ errors: [], unknown: [], empty: [] });
    for (const r of recording) {
      const res = await promQuery(r.record as string);
      expect({ record: r.record, series: (res.data?.result.length ?? 0) > 0 }).toEqual({
        record: r.record,
        series: true,
      });
    }
  });

  test("every alert expression evaluates without error and names only exported metrics", async () => {
    const known = await exportedMetricNames();
    const alerts = loadRules().filter((r) => r.alert);
    const errors: string[] = [];
    const unknown: string[] = [];
    for (const a of alerts) {
      const res = await promQuery(a.expr);
      if (res.status !== "success") errors.push(`${a.alert}: ${res.error}`);
      const missing = metricNames(a.expr).filter((n) => !known.has(n) && !EXTERNAL_METRICS.has(n));
      if (missing.length) unknown.push(`${a.alert}: ${missing.join(", ")}`);
    }
    expect({ errors, unknown }).toEqual({ errors: [], unknown: [] });
  });

  test("every dashboard query evaluates, names exported metrics, and returns series where it should", async () => {
    const known = await exportedMetricNames();
    const queries = dashboardQueries()
      .filter((q) => q.datasource === `\${datasource}`)
      .map((q) => ({ where: `${q.dashboard} / ${q.panel}`, expr: q.expr }));
    expect(queries.length).toBeGreaterThan(40);
    const result = await checkQueries(queries, known);
    expect(result).toEqual({ errors: [], unknown: [], empty: [] });
  });

  test("a dashboard query naming a metric nobody exports fails the check", async () => {
    const known = await exportedMetricNames();
    const result = await checkQueries(
      [{ where: "doctored panel", expr: 'sum(rate(http_requestz_total{job="api"}[$__rate_interval]))' }],
      known,
    );
    expect(result.unknown).toEqual(["doctored panel: http_requestz_total (no process exports it)"]);
    expect(result.empty).toHaveLength(1);
  });

  test("metrics the static checks treat as counters are counters or histograms in the real metadata", async () => {
    const r = (await (await fetch(`${prom}/api/v1/metadata`)).json()) as {
      data: Record<string, { type: string }[]>;
    };
    const type = (name: string) => r.data[name]?.[0]?.type;
    for (const m of [
      "http_requests_total",
      "cache_requests_total",
      "auth_logins_total",
      "rate_limited_total",
    ]) {
      expect({ m, type: type(m) }).toEqual({ m, type: "counter" });
    }
    expect(type("http_request_duration_seconds")).toBe("histogram");
    expect(type("pg_stat_activity_count")).toBe("gauge");
  });

  test("the TLS probe reads the certificate's expiry, and the 14-day alert fires for a 10-day certificate", async () => {
    const res = await promQuery("probe_ssl_earliest_cert_expiry - time()");
    const value = Number((res.data?.result[0] as { value: [number, string] } | undefined)?.value[1]);
    expect(value).toBeGreaterThan(9 * 86400);
    expect(value).toBeLessThan(11 * 86400);
    const alerts = await promQuery('ALERTS{alertname="TlsCertificateExpiring"}');
    const severities = ((alerts.data?.result ?? []) as { metric: { severity: string } }[]).map(
      (s) => s.metric.severity,
    );
    expect(severities).toEqual(["warning"]);
  });

  test("no alert fires in a healthy stack except the Watchdog (and the deliberately short TLS certificate)", async () => {
    // The SLO burn alerts are left out: their windows (5m to 3d) hold only these few seconds of traffic,
    // where the deliberately slow password hashing of a handful of logins can dominate the latency SLI.
    const expected = new Set([
      "Watchdog",
      "TlsCertificateExpiring",
      "ApiLatencyErrorBudgetBurn",
      "ApiAvailabilityErrorBudgetBurn",
    ]);
    const res = await promQuery('ALERTS{alertstate="firing"}');
    const firing = ((res.data?.result ?? []) as { metric: { alertname: string } }[]).map(
      (s) => s.metric.alertname,
    );
    expect(firing.filter((n) => !expected.has(n))).toEqual([]);
    expect(firing).toContain("Watchdog");
  });

  test("Alertmanager receives the Watchdog and routes it to the heartbeat receiver", async () => {
    const amTargets = (await (await fetch(`${prom}/api/v1/alertmanagers`)).json()) as {
      data: { activeAlertmanagers: { url: string }[] };
    };
    expect(amTargets.data.activeAlertmanagers.map((a) => a.url)).toEqual([`${am}/api/v2/alerts`]);
    let alerts: { labels: { alertname: string }; receivers: { name: string }[] }[] = [];
    for (let i = 0; i < 75; i++) {
      alerts = (await (await fetch(`${am}/api/v2/alerts`)).json()) as typeof alerts;
      if (alerts.some((a) => a.labels.alertname === "Watchdog")) break;
      await Bun.sleep(200);
    }
    const watchdog = alerts.find((a) => a.labels.alertname === "Watchdog");
    if (!watchdog) {
      const diag = await promQuery('{__name__=~"prometheus_notifications_.*"}');
      console.error(
        JSON.stringify(diag.data?.result),
        alertmanagerProc.output().slice(-3000),
        prometheus.output().slice(-3000),
      );
    }
    expect(watchdog?.receivers.map((r) => r.name)).toEqual(["heartbeat"]);
    const tls = alerts.find((a) => a.labels.alertname === "TlsCertificateExpiring");
    if (tls) expect(tls.receivers.map((r) => r.name)).toEqual(["ticket"]);
  }, 30_000);

  test("the API's real log lines go through the Alloy pipeline with level, route, status and request id", () => {
    const lines = apis
      .flatMap((a) => a.output().split("\n"))
      .filter((l) => l.startsWith("{"))
      .map((l) => ({ line: l, parsed: JSON.parse(l) as Record<string, unknown> }));
    const requests = lines.filter((l) => l.parsed.msg === "request" && typeof l.parsed.status === "number");
    expect(requests.length).toBeGreaterThan(20);
    let checked = 0;
    for (const { line, parsed } of requests) {
      const out = processLogLine(line, { service: "api", container: "taskplatform-api-1" });
      if (parsed.route === "/metrics" || parsed.route === "/api/health") {
        expect(out.dropped).toBe(true);
        continue;
      }
      expect(out.dropped).toBe(false);
      expect(out.labels.level).toBe(parsed.level as string);
      expect(out.labels.status_class).toBe(`${String(parsed.status)[0]}xx`);
      expect(out.structuredMetadata.request_id).toBe(parsed.requestId as string);
      expect(out.structuredMetadata.route).toBe(parsed.route as string);
      expect(out.structuredMetadata.status).toBe(String(parsed.status));
      expect(out.timestamp?.toISOString()).toBe(new Date(parsed.time as string).toISOString());
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
    // Every line, requests or not, is valid JSON with a level the `level` label can carry.
    for (const { line, parsed } of lines) {
      expect(["debug", "info", "warn", "error"]).toContain(parsed.level as string);
      expect(processLogLine(line, { service: "api" }).labels.level).toBe(parsed.level as string);
    }
  });
});
