// Static checks of observability/: dashboards, rules' metadata, runbooks, Alloy, Loki, Alertmanager.
// Needs only bun (no Prometheus): runs in the root `bun test`.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "../grafana/dashboards.ts";
import { type Block, KNOWN_COMPONENTS, KNOWN_INNER_BLOCKS, parseAlloy, references, walk } from "./alloy.ts";
import {
  ALLOY_DIR,
  alloyBlocks,
  DASHBOARDS_DIR,
  dashboardQueries,
  githubAnchor,
  loadDashboards,
  loadRules,
  logqlFilterLabels,
  logqlStreamLabels,
  metricNames,
  OBS,
  panelsOf,
  processLogLine,
  ROOT,
  yaml,
} from "./support.ts";

const PROM_DS = "$" + "{datasource}";
const LOKI_DS = "$" + "{loki}";
const COUNTER = /(_total|_bucket|_count|_sum)$/;
// Gauges whose names merely end like a counter (the live suite checks types against real metadata).
const GAUGES = new Set(["pg_stat_activity_count"]);

/** Every occurrence of a counter must be the argument of rate(), irate() or increase(). */
function countersOutsideRate(expr: string): string[] {
  const bad: string[] = [];
  for (const name of metricNames(expr)) {
    if (!COUNTER.test(name) || name.includes(":") || GAUGES.has(name)) continue;
    const all = [...expr.matchAll(new RegExp(`\\b${name}\\b`, "g"))].length;
    const inRate = [
      ...expr.matchAll(new RegExp(`\\b(rate|irate|increase)\\(\\s*${name}\\b(\\{[^}]*\\})?\\s*\\[`, "g")),
    ].length;
    if (inRate < all) bad.push(name);
  }
  return bad;
}

describe("grafana dashboards", () => {
  const dashboards = loadDashboards();

  test("the committed JSON is what dashboards.ts builds (run `bun observability/grafana/dashboards.ts`)", () => {
    const built = build();
    expect(Object.keys(dashboards).sort()).toEqual(Object.keys(built).sort());
    for (const [name, text] of Object.entries(built)) {
      expect(readFileSync(join(DASHBOARDS_DIR, name), "utf8")).toBe(text);
    }
  });

  test("there are at least the overview, application and infrastructure dashboards", () => {
    const titles = Object.values(dashboards).map((d) => d.title);
    for (const t of ["Overview", "Application", "Infrastructure"]) {
      expect(titles.some((title: string) => title.includes(t))).toBe(true);
    }
  });

  test("dashboard uids and panel ids are unique", () => {
    const uids = Object.values(dashboards).map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    for (const d of Object.values(dashboards)) {
      const ids = d.panels.flatMap((p: { id: number; panels?: { id: number }[] }) => [
        p.id,
        ...(p.panels ?? []).map((c) => c.id),
      ]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  test("every panel and query takes its datasource from a template variable", () => {
    for (const d of Object.values(dashboards)) {
      const vars = d.templating.list
        .filter((v: { type: string }) => v.type === "datasource")
        .map((v: { name: string }) => v.name);
      expect(vars).toContain("datasource");
      for (const p of panelsOf(d)) {
        const uid = p.datasource?.uid;
        expect({ panel: p.title, uid }).toEqual({
          panel: p.title,
          uid: expect.stringMatching(/^\$\{(datasource|loki)\}$/),
        });
        expect(vars).toContain(uid.slice(2, -1));
        for (const t of p.targets) expect(t.datasource.uid).toBe(uid);
      }
    }
  });

  test("every panel has a unit (logs panels excepted), a description and at least one query", () => {
    for (const d of Object.values(dashboards)) {
      for (const p of panelsOf(d)) {
        expect(p.description?.length ?? 0).toBeGreaterThan(10);
        expect(p.targets.length).toBeGreaterThan(0);
        if (p.type !== "logs")
          expect({ panel: p.title, unit: p.fieldConfig?.defaults?.unit }).toEqual({
            panel: p.title,
            unit: expect.any(String),
          });
      }
    }
  });

  test("counters only appear inside rate()/increase(), and rate windows use $__rate_interval", () => {
    for (const q of dashboardQueries().filter((q) => q.datasource === PROM_DS)) {
      expect({ panel: q.panel, bad: countersOutsideRate(q.expr) }).toEqual({ panel: q.panel, bad: [] });
      for (const m of q.expr.matchAll(/\b(rate|irate)\([^[]*\[([^\]]+)\]/g)) {
        expect({ panel: q.panel, window: m[2] }).toEqual({ panel: q.panel, window: "$__rate_interval" });
      }
    }
  });

  test("the application dashboard has the panels the issue asks for, and a Loki logs panel", () => {
    const app = Object.values(dashboards).find((d) => d.uid === "taskplatform-application");
    const exprs = panelsOf(app)
      .flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr))
      .join("\n");
    for (const m of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "slo_availability_error_budget",
      "db_pool_connections",
      "cache_requests_total",
      "sse_clients",
      "auth_logins_total",
      "auth_failures_total",
      "rate_limited_total",
    ]) {
      expect(exprs).toContain(m);
    }
    expect(panelsOf(app).some((p: { type: string }) => p.type === "logs")).toBe(true);
  });

  test("LogQL queries select only labels the Alloy pipeline attaches", () => {
    const produced = new Set([
      "service",
      "container",
      "project",
      "stack",
      "level",
      "status_class",
      "unit",
      "source",
      "journal_level",
    ]);
    for (const q of dashboardQueries().filter((q) => q.datasource === LOKI_DS)) {
      for (const l of [...logqlStreamLabels(q.expr), ...logqlFilterLabels(q.expr)]) {
        expect({ query: q.expr, label: l, produced: produced.has(l) }).toEqual({
          query: q.expr,
          label: l,
          produced: true,
        });
      }
    }
  });
});

describe("prometheus rules", () => {
  const rules = loadRules();
  const alerts = rules.filter((r) => r.alert);

  test("every alert has severity, summary, description and a runbook_url", () => {
    expect(alerts.length).toBeGreaterThan(15);
    for (const a of alerts) {
      expect({ alert: a.alert, severity: a.labels?.severity }).toEqual({
        alert: a.alert,
        severity: expect.stringMatching(/^(critical|warning|info|none)$/),
      });
      expect(a.annotations?.summary?.length ?? 0).toBeGreaterThan(5);
      expect(a.annotations?.description?.length ?? 0).toBeGreaterThan(5);
      expect(a.annotations?.runbook_url).toMatch(/^docs\/runbooks\.md#[a-z0-9-]+$/);
    }
  });

  test("docs/runbooks.md has a section for every runbook_url anchor", () => {
    const md = readFileSync(join(ROOT, "docs", "runbooks.md"), "utf8");
    const anchors = new Set([...md.matchAll(/^#{2,4} (.+)$/gm)].map((m) => githubAnchor(m[1] as string)));
    for (const a of alerts) {
      const anchor = (a.annotations?.runbook_url ?? "").split("#")[1];
      expect({ alert: a.alert, anchor, found: anchors.has(anchor ?? "") }).toEqual({
        alert: a.alert,
        anchor,
        found: true,
      });
    }
  });

  test("the issue's alerts all exist", () => {
    const names = new Set(alerts.map((a) => a.alert));
    for (const n of [
      "ApiAvailabilityErrorBudgetBurn",
      "ApiLatencyErrorBudgetBurn",
      "TargetDown",
      "ApiDown",
      "PostgresDown",
      "PostgresConnectionsNearMax",
      "PostgresDeadlocks",
      "RedisDown",
      "RedisMemoryNearMax",
      "RedisRejectedConnections",
      "HostMemoryLow",
      "HostDiskFull",
      "HostDiskFillingUp",
      "HostHighCpu",
      "ContainerMemoryNearLimit",
      "TlsCertificateExpiring",
      "PrometheusRuleEvaluationFailures",
      "PrometheusConfigReloadFailed",
      "Watchdog",
    ]) {
      expect(names.has(n)).toBe(true);
    }
  });

  test("every alert has a firing and a non-firing case in the promtool unit tests", () => {
    type T = { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] };
    const cases = new Map<string, { firing: boolean; quiet: boolean }>();
    for (const f of ["slo-alerts", "service-alerts", "platform-alerts"]) {
      const doc = yaml(join(OBS, "prometheus", "tests", `${f}.test.yml`)) as { tests: T[] };
      for (const t of doc.tests) {
        for (const c of t.alert_rule_test ?? []) {
          const entry = cases.get(c.alertname) ?? { firing: false, quiet: false };
          if (c.exp_alerts.length > 0) entry.firing = true;
          else entry.quiet = true;
          cases.set(c.alertname, entry);
        }
      }
    }
    for (const a of new Set(alerts.map((r) => r.alert as string))) {
      const c = cases.get(a) ?? { firing: false, quiet: false };
      // The Watchdog is meant to fire always: it has no quiet case by design.
      expect({ alert: a, ...c }).toEqual({ alert: a, firing: true, quiet: a !== "Watchdog" });
    }
  });

  test("counters in rules only appear inside rate()/increase()", () => {
    for (const r of rules)
      expect({ rule: r.record ?? r.alert, bad: countersOutsideRate(r.expr) }).toEqual({
        rule: r.record ?? r.alert,
        bad: [],
      });
  });

  test("the SLO alerts use the multi-window, multi-burn-rate pairs", () => {
    const expr = (name: string, severity: string) =>
      alerts.find((a) => a.alert === name && a.labels?.severity === severity)?.expr.replace(/\s+/g, " ") ??
      "";
    for (const [name, budget] of [
      ["ApiAvailabilityErrorBudgetBurn", "0.001"],
      ["ApiLatencyErrorBudgetBurn", "0.05"],
    ] as const) {
      const kind = name.includes("Availability") ? "availability" : "latency";
      const page = expr(name, "critical");
      const ticket = expr(name, "warning");
      for (const [w, f] of [
        ["1h", "14.4"],
        ["5m", "14.4"],
        ["6h", "6"],
        ["30m", "6"],
      ]) {
        expect(page).toContain(`job:slo_${kind}_errors:ratio_rate${w} > (${f} * ${budget})`);
      }
      for (const [w, f] of [
        ["1d", `(3 * ${budget})`],
        ["2h", `(3 * ${budget})`],
        ["3d", budget],
        ["6h", budget],
      ]) {
        expect(ticket).toContain(`job:slo_${kind}_errors:ratio_rate${w} > ${f}`);
      }
    }
  });
});

describe("alertmanager", () => {
  type Route = { receiver?: string; matchers?: string[]; routes?: Route[] };
  const am = yaml(join(OBS, "alertmanager", "alertmanager.yml")) as {
    route: Route;
    receivers: { name: string; [k: string]: unknown }[];
    inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  };

  test("the default receiver does nothing; every receiver is a no-op until configured", () => {
    expect(am.route.receiver).toBe("null");
    for (const r of am.receivers) expect(Object.keys(r)).toEqual(["name"]);
  });

  test("routes by severity, Watchdog to the heartbeat receiver", () => {
    const routes = am.route.routes ?? [];
    const to = (m: string) => routes.find((r) => r.matchers?.includes(m))?.receiver;
    expect(to('severity = "critical"')).toBe("page");
    expect(to('severity = "warning"')).toBe("ticket");
    expect(to('alertname = "Watchdog"')).toBe("heartbeat");
  });

  test("a critical alert inhibits the warning of the same alert", () => {
    const rule = am.inhibit_rules.find((r) => r.source_matchers.includes('severity = "critical"'));
    expect(rule?.target_matchers).toEqual(['severity = "warning"']);
    expect(rule?.equal).toContain("alertname");
  });

  test("the notifying example reads every credential from a file", () => {
    const text = readFileSync(join(OBS, "alertmanager", "examples", "notify.yml"), "utf8");
    expect(text).toContain("smtp_auth_password_file: /run/secrets/");
    expect(text).toContain("credentials_file: /run/secrets/");
    expect(text).not.toMatch(/^\s*(smtp_auth_password|credentials|password):/m);
  });
});

describe("loki", () => {
  test("loki.yml parses and uses tsdb, schema v13, filesystem storage and retention", () => {
    // biome-ignore lint/suspicious/noExplicitAny: YAML document
    const loki = yaml(join(OBS, "loki", "loki.yml")) as any;
    const schema = (loki.schema_config?.configs ?? [])[0];
    expect(schema).toMatchObject({ store: "tsdb", schema: "v13", object_store: "filesystem" });
    expect(loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
    expect(loki.limits_config?.retention_period).toMatch(/^\d+[hd]$/);
    expect(loki.auth_enabled).toBe(false);
  });
});

describe("alloy", () => {
  const files = ["pipeline.alloy", "docker.alloy", "journal.alloy"];

  test("every .alloy file parses", () => {
    for (const f of files) {
      expect(existsSync(join(ALLOY_DIR, f))).toBe(true);
      expect(() => parseAlloy(readFileSync(join(ALLOY_DIR, f), "utf8"))).not.toThrow();
    }
  });

  test("the parser rejects malformed configuration", () => {
    expect(() => parseAlloy('loki.write "x" {\n  endpoint {\n    url = "http://a"\n  }\n')).toThrow(/line/);
    expect(() => parseAlloy('loki.write "x" { url = }')).toThrow();
    expect(() => parseAlloy('a = "unterminated\n')).toThrow();
    expect(() => parseAlloy("a = 1\na = 2\n")).toThrow(/twice/);
  });

  const loaded = (names: string[]) =>
    names.flatMap((f) => parseAlloy(readFileSync(join(ALLOY_DIR, f), "utf8")).blocks) as Block[];

  for (const set of [
    ["pipeline.alloy", "docker.alloy"],
    ["pipeline.alloy", "journal.alloy"],
  ]) {
    test(`${set.join(" + ")}: known components, known stages, every reference resolves`, () => {
      const blocks = loaded(set);
      const defined = new Map<string, string>();
      for (const b of blocks) {
        expect({ component: b.name, known: b.name in KNOWN_COMPONENTS }).toEqual({
          component: b.name,
          known: true,
        });
        const id = b.label ? `${b.name}.${b.label}` : b.name;
        expect(defined.has(id)).toBe(false);
        defined.set(id, b.name);
        const inner = KNOWN_INNER_BLOCKS[b.name];
        if (inner)
          for (const c of walk(b.blocks))
            expect({ in: b.name, block: c.name, ok: inner.includes(c.name) }).toEqual({
              in: b.name,
              block: c.name,
              ok: true,
            });
      }
      const refs = walk(blocks).flatMap((b) => Object.values(b.attributes).flatMap((v) => references(v)));
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const parts = ref.split(".");
        const exported = parts.pop() as string;
        const id = parts.join(".");
        const component = defined.get(id);
        expect({ ref, defined: component !== undefined }).toEqual({ ref, defined: true });
        expect({ ref, exported: KNOWN_COMPONENTS[component as string]?.includes(exported) }).toEqual({
          ref,
          exported: true,
        });
      }
    });
  }

  test("all three files load together as one directory too (no duplicate component)", () => {
    const ids = alloyBlocks().map((b) => `${b.name}.${b.label ?? ""}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("the pipeline parses the API's JSON log lines (contract format)", () => {
    const line = JSON.stringify({
      time: "2026-11-24T23:41:07.123Z",
      level: "info",
      msg: "request",
      requestId: "6f1c2a9e-3f3b-4c9b-9d55-1a2b3c4d5e6f",
      method: "PATCH",
      route: "/api/tasks/:id",
      path: "/api/tasks/0b6c",
      status: 409,
      durationMs: 4.2,
      userId: "u1",
    });
    const out = processLogLine(line, { service: "api", container: "taskplatform-api-1" });
    expect(out.dropped).toBe(false);
    expect(out.labels).toEqual({
      service: "api",
      container: "taskplatform-api-1",
      level: "info",
      status_class: "4xx",
    });
    expect(out.structuredMetadata).toMatchObject({
      request_id: "6f1c2a9e-3f3b-4c9b-9d55-1a2b3c4d5e6f",
      route: "/api/tasks/:id",
      method: "PATCH",
      status: "409",
    });
    expect(out.timestamp?.toISOString()).toBe("2026-11-24T23:41:07.123Z");

    const error = processLogLine(
      JSON.stringify({
        time: "2026-11-24T23:41:08Z",
        level: "error",
        msg: "unhandled",
        requestId: "r2",
        status: 500,
        err: { message: "boom", stack: "…" },
      }),
      { service: "api" },
    );
    expect(error.labels).toMatchObject({ level: "error", status_class: "5xx" });

    const startup = processLogLine(
      JSON.stringify({ time: "2026-11-24T23:41:00Z", level: "info", msg: "listening" }),
      { service: "api" },
    );
    expect(startup.labels).toEqual({ service: "api", level: "info" });
  });

  test("the proxy's JSON access lines (proxy/nginx.conf tp_json) share level, status class and request id", () => {
    const conf = readFileSync(join(ROOT, "proxy", "nginx.conf"), "utf8");
    // The log_format as nginx writes it, with sample values for the variables.
    const format = /log_format tp_json escape=json\s+((?:'[^']*'\s*)+);/.exec(conf)?.[1];
    expect(format).toBeDefined();
    const line = (format as string)
      .split(/'\s*'/)
      .join("")
      .replace(/^'|'$/g, "")
      .replace(
        /\$([a-z_0-9]+)/g,
        (_, v: string) =>
          ({
            status: "502",
            body_bytes_sent: "157",
            request_time: "0.004",
            time_iso8601: "2026-11-24T23:41:07+00:00",
          })[v] ?? (v === "tp_request_id" ? "req-42" : v === "uri" ? "/api/tasks" : "x"),
      );
    const parsed = JSON.parse(line);
    expect(parsed.requestId).toBe("req-42");
    const out = processLogLine(line, { service: "proxy" });
    expect(out.dropped).toBe(false);
    expect(out.labels).toEqual({ service: "proxy", level: "info", status_class: "5xx" });
    expect(out.structuredMetadata).toMatchObject({ request_id: "req-42", status: "502", method: "x" });
  });

  test("scrape and health-check lines are dropped; other services' lines pass untouched", () => {
    const metrics = processLogLine(
      JSON.stringify({ level: "info", msg: "request", route: "/metrics", status: 200 }),
      { service: "api" },
    );
    expect(metrics.dropped).toBe(true);
    const other = processLogLine('{"level":"info","route":"/metrics"}', { service: "grafana" });
    expect(other).toMatchObject({ dropped: false, labels: { service: "grafana" } });
    const healthz = processLogLine(
      JSON.stringify({ level: "info", msg: "access", path: "/healthz", status: 200 }),
      {
        service: "proxy",
      },
    );
    expect(healthz.dropped).toBe(true);
    const plain = processLogLine("2026-11-24 23:41:00.000 UTC [1] LOG:  checkpoint starting", {
      service: "postgres",
    });
    expect(plain).toMatchObject({ dropped: false, labels: { service: "postgres" } });
  });
});

describe("prometheus.yml", () => {
  test("scrapes every part of the stack every 15 s", () => {
    const cfg = yaml(join(OBS, "prometheus", "prometheus.yml")) as {
      global: { scrape_interval: string };
      scrape_configs: { job_name: string }[];
    };
    expect(cfg.global.scrape_interval).toBe("15s");
    const jobs = cfg.scrape_configs.map((s) => s.job_name);
    for (const j of [
      "prometheus",
      "api",
      "node",
      "postgres",
      "redis",
      "nginx",
      "cadvisor",
      "alertmanager",
      "grafana",
      "loki",
    ]) {
      expect(jobs).toContain(j);
    }
  });
});

describe("compose.yaml monitoring services", () => {
  // biome-ignore lint/suspicious/noExplicitAny: compose document
  const compose = Bun.YAML.parse(readFileSync(join(ROOT, "compose.yaml"), "utf8")) as any;
  const services = compose.services as Record<string, Record<string, unknown>>;
  // biome-ignore lint/suspicious/noExplicitAny: prometheus.yml
  const prom = yaml(join(OBS, "prometheus", "prometheus.yml")) as any;

  test("the full monitoring set is in compose.yaml, optional parts behind profiles", () => {
    for (const s of [
      "prometheus",
      "alertmanager",
      "node-exporter",
      "postgres-exporter",
      "redis-exporter",
      "nginx-exporter",
      "blackbox-exporter",
      "cadvisor",
      "grafana",
      "loki",
      "alloy",
    ]) {
      expect(Object.keys(services)).toContain(s);
    }
    expect(services.grafana?.profiles).toEqual(["grafana"]);
    expect(services.loki?.profiles).toEqual(["logs"]);
    expect(services.alloy?.profiles).toEqual(["logs"]);
    // The core of monitoring starts by default.
    for (const s of [
      "prometheus",
      "alertmanager",
      "node-exporter",
      "postgres-exporter",
      "redis-exporter",
      "nginx-exporter",
    ]) {
      expect({ s, profiles: services[s]?.profiles }).toEqual({ s, profiles: undefined });
    }
  });

  test("every DNS name Prometheus discovers is a compose service on the monitoring network", () => {
    const names = prom.scrape_configs.flatMap((s: { dns_sd_configs?: { names: string[] }[] }) =>
      (s.dns_sd_configs ?? []).flatMap((d) => d.names),
    );
    names.push(
      ...prom.alerting.alertmanagers.flatMap((a: { dns_sd_configs: { names: string[] }[] }) =>
        a.dns_sd_configs.flatMap((d) => d.names),
      ),
    );
    for (const name of names) {
      expect({ name, service: name in services }).toEqual({ name, service: true });
      expect(services[name]?.networks).toContain("monitoring");
    }
    expect(services.proxy?.networks).toContain("monitoring");
  });

  test("every file the monitoring services mount exists in the repository", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of (svc.volumes ?? []) as string[]) {
        const source = String(v).split(":")[0] as string;
        if (!source.startsWith("./observability/")) continue;
        expect({ name, source, exists: existsSync(join(ROOT, source)) }).toEqual({
          name,
          source,
          exists: true,
        });
      }
    }
  });

  test("monitoring images are pinned to a version tag", () => {
    for (const s of [
      "prometheus",
      "alertmanager",
      "node-exporter",
      "postgres-exporter",
      "redis-exporter",
      "nginx-exporter",
      "blackbox-exporter",
      "cadvisor",
      "grafana",
      "loki",
      "alloy",
    ]) {
      expect(String(services[s]?.image)).toMatch(/^[a-z0-9.-]+\.[a-z]+\/[\w./-]+:v?\d+\.\d+\.\d+(-[a-z]+)?$/);
    }
  });
});

describe("alloy journal relabelling (systemd/Quadlet)", () => {
  /** Prometheus-style relabel rules (replace with an anchored regex, drop), as loki.relabel applies them. */
  function relabel(blocks: Block[], labels: Record<string, string>): Record<string, string> | null {
    const out = { ...labels };
    for (const rule of blocks.filter((b) => b.name === "rule")) {
      const a = rule.attributes as Record<string, unknown>;
      const value = ((a.source_labels as string[]) ?? []).map((l) => out[l] ?? "").join(";");
      const re = new RegExp(`^(?:${String(a.regex ?? "(.*)")})$`);
      const m = re.exec(value);
      if ((a.action ?? "replace") === "drop") {
        if (m) return null;
        continue;
      }
      if (!m) continue;
      const replacement = String(a.replacement ?? "$1").replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? "");
      if (replacement === "") delete out[String(a.target_label)];
      else out[String(a.target_label)] = replacement;
    }
    return out;
  }
  const journal = parseAlloy(readFileSync(join(ALLOY_DIR, "journal.alloy"), "utf8")).blocks.find(
    (b) => b.name === "loki.relabel",
  ) as Block;

  test("container lines get the compose-style service label from the Quadlet unit name", () => {
    for (const [unit, service] of [
      ["api.service", "api"],
      ["taskplatform-api.service", "api"],
      ["api@2.service", "api"],
      ["postgres-exporter.service", "postgres-exporter"],
    ]) {
      const out = relabel(journal.blocks, {
        __journal_container_name: "systemd-x",
        __journal__systemd_unit: unit as string,
      });
      expect({ unit, service: out?.service }).toEqual({ unit, service });
    }
  });

  test("host lines without a container name are dropped", () => {
    expect(relabel(journal.blocks, { __journal__systemd_unit: "sshd.service" })).toBeNull();
  });
});
