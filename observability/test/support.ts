// Shared helpers for the observability tests: read rules and dashboards, pull PromQL/LogQL out of them,
// and run log lines through the Alloy pipeline's own stage definitions.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Block, parseAlloy, type Value, walk } from "./alloy.ts";

export const OBS = join(import.meta.dir, "..");
export const ROOT = join(OBS, "..");
export const RULES_DIR = join(OBS, "prometheus", "rules");
export const DASHBOARDS_DIR = join(OBS, "grafana", "dashboards");
export const ALLOY_DIR = join(OBS, "alloy");

export function yaml(path: string): unknown {
  return Bun.YAML.parse(readFileSync(path, "utf8"));
}

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  file: string;
  group: string;
}

export function loadRules(): Rule[] {
  const rules: Rule[] = [];
  for (const file of readdirSync(RULES_DIR).filter((f) => f.endsWith(".yml"))) {
    const doc = yaml(join(RULES_DIR, file)) as {
      groups: Array<{ name: string; rules: Omit<Rule, "file" | "group">[] }>;
    };
    for (const g of doc.groups) for (const r of g.rules) rules.push({ ...r, file, group: g.name });
  }
  return rules;
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  datasource: string;
  expr: string;
}

// biome-ignore lint/suspicious/noExplicitAny: dashboard JSON is untyped
export type Json = any;

export function loadDashboards(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const file of readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith(".json"))) {
    out[file] = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), "utf8"));
  }
  return out;
}

export function panelsOf(dashboard: Json): Json[] {
  const out: Json[] = [];
  for (const p of dashboard.panels ?? []) {
    if (p.type === "row") out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

export function dashboardQueries(): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const [file, d] of Object.entries(loadDashboards())) {
    for (const p of panelsOf(d)) {
      for (const t of p.targets ?? []) {
        out.push({
          dashboard: file,
          panel: p.title,
          datasource: String(t.datasource?.uid ?? p.datasource?.uid),
          expr: t.expr,
        });
      }
    }
  }
  return out;
}

/** Substitutes Grafana's built-in variables so Prometheus can run a dashboard query. */
export function grafanaToPromQL(expr: string, step = "1m"): string {
  return expr
    .replaceAll("$__rate_interval", step)
    .replaceAll("$__interval", step)
    .replaceAll("$__range", "1h");
}

const PROMQL_WORDS = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "count",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "quantile",
  "count_values",
  "group",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
  "time",
  "vector",
  "scalar",
  "rate",
  "irate",
  "increase",
  "delta",
  "idelta",
  "deriv",
  "predict_linear",
  "histogram_quantile",
  "absent",
  "absent_over_time",
  "abs",
  "ceil",
  "floor",
  "round",
  "clamp",
  "clamp_min",
  "clamp_max",
  "label_replace",
  "label_join",
  "sort",
  "sort_desc",
  "avg_over_time",
  "min_over_time",
  "max_over_time",
  "sum_over_time",
  "count_over_time",
  "last_over_time",
  "quantile_over_time",
  "changes",
  "resets",
  "timestamp",
  "e",
]);

/** Metric names a PromQL expression selects (approximate, but exact for the expressions in this repo). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\]|\\.)*'/g, "''")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = stripped.slice((m.index ?? 0) + word.length).trimStart();
    if (after.startsWith("(")) continue; // function or aggregation
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    if (/^[0-9]/.test(word)) continue;
    // durations and exponents such as 5m, 1e9 are removed by the regex start; bare units never occur here
    names.add(word);
  }
  return [...names];
}

/** Selectors {…} of a LogQL query's stream part: the label names it needs. */
export function logqlStreamLabels(expr: string): string[] {
  const labels = new Set<string>();
  for (const sel of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const m of (sel[1] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g))
      labels.add(m[1] as string);
  }
  return [...labels];
}

/** Label names used in LogQL label filters after a pipe (`| level="error" or status_class="5xx"`). */
export function logqlFilterLabels(expr: string): string[] {
  const labels = new Set<string>();
  const pipeline = expr.replace(/\{[^}]*\}/g, "");
  for (const stage of pipeline.split("|").slice(1)) {
    const s = stage.trim();
    if (/^(json|logfmt|regexp|pattern|line_format|label_format|unwrap|drop|keep|decolorize)\b/.test(s))
      continue;
    for (const m of s.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|==|=|>=|<=|>|<)/g))
      labels.add(m[1] as string);
  }
  return [...labels];
}

// ---------------------------------------------------------------------------------------------
// The Alloy pipeline, evaluated from its own configuration.

export interface ProcessedLine {
  labels: Record<string, string>;
  structuredMetadata: Record<string, string>;
  extracted: Record<string, string>;
  timestamp?: Date;
  dropped: boolean;
}

export function alloyBlocks(): Block[] {
  const blocks: Block[] = [];
  for (const file of readdirSync(ALLOY_DIR).filter((f) => f.endsWith(".alloy"))) {
    blocks.push(...parseAlloy(readFileSync(join(ALLOY_DIR, file), "utf8")).blocks);
  }
  return blocks;
}

function str(v: Value | undefined): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  return String(v);
}

/** Go RE2 → JavaScript: named groups are the only syntax difference used here. */
function goRegex(re: string): RegExp {
  return new RegExp(re.replace(/\(\?P</g, "(?<"));
}

function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  const inner = /^\{(.*)\}$/.exec(selector.trim())?.[1] ?? "";
  for (const m of inner.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    const [, name, op, raw] = m as unknown as [string, string, string, string];
    const value = labels[name] ?? "";
    const want = JSON.parse(`"${raw}"`) as string;
    const re = new RegExp(`^(?:${want})$`);
    if (op === "=" && value !== want) return false;
    if (op === "!=" && value === want) return false;
    if (op === "=~" && !re.test(value)) return false;
    if (op === "!~" && re.test(value)) return false;
  }
  return true;
}

/** Minimal Go text/template: `{{ .Value }}`, `{{ .name }}` and `{{ if X }}…{{ end }}`. */
function goTemplate(tpl: string, value: string, extracted: Record<string, string>): string {
  const get = (path: string) => (path === ".Value" ? value : (extracted[path.replace(/^\./, "")] ?? ""));
  let out = tpl.replace(
    /\{\{-?\s*if\s+(\.[A-Za-z_]+)\s*-?\}\}([\s\S]*?)\{\{-?\s*end\s*-?\}\}/g,
    (_, cond, body) => (get(cond) ? body : ""),
  );
  out = out.replace(/\{\{-?\s*(\.[A-Za-z_]+)\s*-?\}\}/g, (_, path) => get(path));
  if (out.includes("{{")) throw new Error(`template construct not supported by the test: ${tpl}`);
  return out;
}

function runStages(stages: Block[], line: string, state: ProcessedLine): void {
  for (const stage of stages) {
    if (state.dropped) return;
    const a = stage.attributes;
    switch (stage.name) {
      case "stage.match":
        if (selectorMatches(str(a.selector), state.labels)) runStages(stage.blocks, line, state);
        break;
      case "stage.json": {
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(line);
        } catch {
          break; // Alloy logs and continues on a non-JSON line
        }
        const exprs = (a.expressions ?? {}) as Record<string, Value>;
        for (const [key, path] of Object.entries(exprs)) {
          const p = str(path) || key;
          let v: unknown = obj;
          for (const part of p.split("."))
            v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
          if (v !== undefined && v !== null)
            state.extracted[key] = typeof v === "object" ? JSON.stringify(v) : String(v);
        }
        break;
      }
      case "stage.regex": {
        const source = a.source === undefined ? line : state.extracted[str(a.source)];
        if (source === undefined) break;
        const m = goRegex(str(a.expression)).exec(source);
        if (m?.groups)
          for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) state.extracted[k] = v;
        break;
      }
      case "stage.template": {
        const src = str(a.source);
        state.extracted[src] = goTemplate(str(a.template), state.extracted[src] ?? "", state.extracted);
        break;
      }
      case "stage.timestamp": {
        const v = state.extracted[str(a.source)];
        if (v !== undefined && str(a.format) === "RFC3339") {
          const d = new Date(v);
          if (!Number.isNaN(d.getTime())) state.timestamp = d;
        }
        break;
      }
      case "stage.labels":
      case "stage.structured_metadata": {
        const target = stage.name === "stage.labels" ? state.labels : state.structuredMetadata;
        for (const [name, from] of Object.entries((a.values ?? {}) as Record<string, Value>)) {
          const v = state.extracted[str(from) || name];
          if (v !== undefined && v !== "") target[name] = v;
        }
        break;
      }
      case "stage.drop": {
        const src = a.source === undefined ? line : state.extracted[str(a.source)];
        if (src !== undefined && a.expression !== undefined && goRegex(str(a.expression)).test(src))
          state.dropped = true;
        break;
      }
      default:
        throw new Error(`stage ${stage.name} is not emulated by the test (observability/test/support.ts)`);
    }
  }
}

/** Runs one log line with the given stream labels through `loki.process "<name>"` as configured. */
export function processLogLine(line: string, labels: Record<string, string>, name = "api"): ProcessedLine {
  const proc = walk(alloyBlocks()).find((b) => b.name === "loki.process" && b.label === name);
  if (!proc) throw new Error(`loki.process "${name}" not found`);
  const state: ProcessedLine = {
    labels: { ...labels },
    structuredMetadata: {},
    extracted: {},
    dropped: false,
  };
  runStages(proc.blocks, line, state);
  return state;
}

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped. */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}
