// Renders the results of bench/run.ts as markdown (bench/RESULTS.md).
import type { Results } from "../run.ts";
import type { Kind, LoadResult } from "./load.ts";

const LABELS: Record<Kind, string> = {
  hello: "hello (reference)",
  list_hit: "task list, cache hit",
  list_miss: "task list, cache miss",
  search: "full-text search (miss)",
  create: "create task",
  update: "update task",
  move: "move task",
  login: "login (argon2id)",
  mix: "mix",
};

const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(0));
const f1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(1));
const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? "—" : n < 10 ? n.toFixed(2) : n.toFixed(1);
const pct = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? "—" : `${(n * 100).toFixed(0)} %`;
const median = (values: number[] | undefined) => {
  const sorted = (values ?? []).filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const max = (values: number[] | undefined) => Math.max(...(values ?? []).filter(Number.isFinite));

interface Target {
  name: string;
  goal: string;
  measured: string;
  pass: boolean | undefined;
  note?: string;
}

export function targets(r: Results): Target[] {
  const tp = (kind: Kind, target: "direct" | "nginx") =>
    r.throughput.find((t) => t.kind === kind && t.target === target)?.result;
  const fr = (kind: Kind, target: "direct" | "nginx") =>
    r.fixedRate.find((t) => t.kind === kind && t.target === target)?.result;
  const out: Target[] = [];
  const hit = tp("list_hit", "direct");
  const hitRatio = hit && r.hello ? hit.rps / r.hello.rps : undefined;
  out.push({
    name: "Task list, cache hit vs Hono hello (one API, same wrk settings)",
    goal: "≥ 50 %",
    measured: hitRatio === undefined ? "—" : `${pct(hitRatio)} (${f0(hit?.rps)} / ${f0(r.hello?.rps)} req/s)`,
    pass: hitRatio === undefined ? undefined : hitRatio >= 0.5,
    note:
      hit && r.helloIo && r.helloPg
        ? `the same server with only a cached list's I/O does ${f0(r.helloIo.rps)} req/s (the list: ${pct(hit.rps / r.helloIo.rps)} of it), with one SQL query ${f0(r.helloPg.rps)}`
        : undefined,
  });
  const miss = tp("list_miss", "direct");
  const missRatio = miss && r.pgbench ? miss.rps / r.pgbench.tps : undefined;
  out.push({
    name: `Task list, cache miss vs pgbench of its SQL (${r.pgbench?.clients ?? r.poolMax} clients = pool size)`,
    goal: "≥ 50 %",
    measured:
      missRatio === undefined
        ? "—"
        : `${pct(missRatio)} (${f0(miss?.rps)} req/s / ${f0(r.pgbench?.tps)} tps)`,
    pass: missRatio === undefined ? undefined : missRatio >= 0.5,
  });
  const rated = r.fixedRate.filter((t) => t.target === "nginx" && t.kind !== "login");
  const worst = rated.reduce<{ kind: Kind; result: LoadResult } | undefined>(
    (w, t) => (!w || t.result.p95Ms > w.result.p95Ms ? t : w),
    undefined,
  );
  const listP95 = fr("list_hit", "nginx");
  out.push({
    name: `p95 at ${r.options.rate} req/s through nginx, task list (cache hit)`,
    goal: "< 50 ms",
    measured: listP95 ? `${ms(listP95.p95Ms)} ms` : "—",
    pass: listP95 ? listP95.p95Ms < 50 : undefined,
  });
  out.push({
    name: `p95 at ${r.options.rate} req/s through nginx, every endpoint but login (worst)`,
    goal: "< 50 ms",
    measured: worst ? `${ms(worst.result.p95Ms)} ms (${LABELS[worst.kind]})` : "—",
    pass: worst ? worst.result.p95Ms < 50 : undefined,
  });
  const worst99 = rated.reduce((m, t) => Math.max(m, t.result.p99Ms), 0);
  out.push({
    name: `API responses under 200 ms (seed goal): p99 at ${r.options.rate} req/s through nginx, worst endpoint`,
    goal: "< 200 ms",
    measured: rated.length ? `${ms(worst99)} ms` : "—",
    pass: rated.length ? worst99 < 200 : undefined,
  });
  const start = median(r.startup.compiled);
  out.push({
    name: `Start to /api/ready 200, compiled binary (median of ${r.startup.compiled.length})`,
    goal: "≤ 300 ms",
    measured: `${f0(start)} ms`,
    pass: Number.isFinite(start) ? start <= 300 : undefined,
  });
  const idle = median(r.startup.compiledIdleRss);
  out.push({
    name: "Idle RSS, 1 s after ready (median; executable read from disk)",
    goal: "≤ 60 MB",
    measured: `${f1(idle)} MB`,
    pass: Number.isFinite(idle) ? idle <= 60 : undefined,
  });
  const at60 = max(r.memory.after60s);
  out.push({
    name: "RSS after 60 s of load (soak mix, larger of the two instances)",
    goal: "≤ 150 MB",
    measured: `${f1(at60)} MB`,
    pass: Number.isFinite(at60) ? at60 <= 150 : undefined,
  });
  const growth = (r.memory.afterSoak ?? []).map((end, i) => end / (r.memory.after60s?.[i] ?? Number.NaN) - 1);
  const g = max(growth);
  out.push({
    name: `RSS growth from 60 s to the end of the ${r.options.soak} s soak (larger of the two)`,
    goal: "≤ 20 %",
    measured: Number.isFinite(g) ? `${g >= 0 ? "+" : ""}${(g * 100).toFixed(1)} %` : "—",
    pass: Number.isFinite(g) ? g <= 0.2 : undefined,
  });
  out.push({
    name: "SPA initial JavaScript, gzip (web/scripts/budget.ts)",
    goal: `≤ ${r.sizes.spaBudgetKb ?? 50} KB`,
    measured: `${f1(r.sizes.spaJsGzipKb)} KB`,
    pass: r.sizes.spaJsGzipKb === undefined ? undefined : r.sizes.spaJsGzipKb <= (r.sizes.spaBudgetKb ?? 50),
  });
  return out;
}

const verdict = (pass: boolean | undefined) =>
  pass === undefined ? "not measured" : pass ? "**pass**" : "**MISS**";

export function renderReport(r: Results): string {
  const o = r.options;
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push(
    `# TaskPlatform benchmark results${o.smoke ? " (SMOKE RUN — numbers are not meaningful)" : ""}`,
    "",
    `Generated by \`bun run bench${o.smoke ? " --smoke" : ""}\` (bench/run.ts) on ${r.startedAt.toISOString()}; ` +
      `took ${r.finishedAt ? ((r.finishedAt.getTime() - r.startedAt.getTime()) / 60_000).toFixed(1) : "?"} min. ` +
      "How to run and read it: [docs/benchmarks.md](../docs/benchmarks.md).",
    "",
    "## Targets",
    "",
    "| target | goal | measured | result |",
    "| --- | --- | --- | --- |",
    ...targets(r).map(
      (t) => `| ${t.name} | ${t.goal} | ${t.measured}${t.note ? `; ${t.note}` : ""} | ${verdict(t.pass)} |`,
    ),
    "",
    ...(r.crashes.length
      ? [
          `**${r.crashes.length} API crash(es) during the run** (${r.crashes.map((c) => `${c.api} in "${c.step}"`).join("; ")}): see [API crashes](#api-crashes-during-the-run).`,
          "",
        ]
      : []),
    ...(r.steps.some((s) => !s.ok)
      ? [
          `Failed steps: ${r.steps
            .filter((s) => !s.ok)
            .map((s) => s.name)
            .join("; ")} (see [Steps](#steps)).`,
          "",
        ]
      : []),
    "## Machine and versions",
    "",
    "| | |",
    "| --- | --- |",
    ...Object.entries({ ...r.machine, ...r.versions }).map(([k, v]) => `| ${k} | ${v || "—"} |`),
    "",
    "## Setup",
    "",
    `- Data: ${r.seed ? `${r.seed.users} users, ${r.seed.projects} projects, ${r.seed.tasks} tasks (labels, due dates, assignees; seeded in ${r.seed.seconds.toFixed(1)} s); the benchmark user edits ${r.seed.editableProjects} projects and signs in through \`POST /api/auth/login\`` : "not seeded"}.`,
    `- Two API instances (the compiled binary, \`DATABASE_POOL_MAX\` ${r.poolMax}, \`LOG_LEVEL=info\` to a file) behind nginx ${r.versions.nginx ?? ""} with proxy/'s configuration over HTTPS (HTTP/1.1, keep-alive); "direct" is one instance over plain HTTP.`,
    `- Benchmark-only changes: API rate-limit ceilings lifted (\`RATE_LIMIT_*\`, \`LOGIN_FAILURES_MAX\`), access tokens valid 2 h, nginx \`limit_req_zone\` rates ${r.nginxChanges.join(", ") || "—"} (all load comes from one address; the limiters still run). PostgreSQL from api/test/support/services.ts (fsync off). Redis \`maxmemory 512mb allkeys-lru\`.`,
    `- Throughput: wrk, ${o.threads} threads, ${o.connections} connections, ${o.duration} s per run, bench/lua/taskplatform.lua. Fixed rate: bench/openloop.ts (open loop, latency from the scheduled send time), ${o.rate} req/s (login ${o.loginRate} req/s), ${o.duration} s.`,
    "- Cache miss: every request carries a unique `dueAfter` far in the past (same rows, new cache key); search does the same. Writes go to the benchmark user's projects and bump their list version.",
    "- The machine is shared (see the load average above): compare ratios within this run rather than absolute numbers across runs.",
    "",
    "## Throughput (closed loop, fixed concurrency)",
    "",
    "| endpoint | path | req/s | p50 ms | p95 ms | p99 ms | errors | API CPU ms/req | cache hit/miss |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  );
  const references = [
    [LABELS.hello, r.hello],
    ["hello + one postgres.js `SELECT 1` (reference)", r.helloPg],
    ["hello + a cached list's I/O only: Redis script, `SELECT 1`, 4 KB GET (reference)", r.helloIo],
  ] as const;
  for (const [label, ref] of references) {
    if (!ref) continue;
    push(
      `| ${label} | direct | ${f0(ref.rps)} | ${ms(ref.p50Ms)} | ${ms(ref.p95Ms)} | ${ms(ref.p99Ms)} | ${ref.errors} | ${ms(ref.cpuMsPerRequest)} | |`,
    );
  }
  if (r.pgbench) {
    push(
      `| pgbench, task-list SQL (reference) | ${r.pgbench.clients} clients | ${f0(r.pgbench.tps)} | avg ${ms(r.pgbench.latencyMs)} | | | | | |`,
    );
  }
  for (const t of r.throughput) {
    const c = t.cache
      ? `${t.cache.hit}/${t.cache.miss}${t.cache.bypass ? ` (+${t.cache.bypass} bypass)` : ""}`
      : "";
    push(
      `| ${LABELS[t.kind]} | ${t.target} | ${f0(t.result.rps)} | ${ms(t.result.p50Ms)} | ${ms(t.result.p95Ms)} | ${ms(t.result.p99Ms)} | ${t.result.errors} | ${ms(t.cpuMsPerRequest)} | ${c} |`,
    );
  }
  push(
    "",
    "## Latency at a fixed rate (open loop)",
    "",
    "Timeouts (10 s) and requests not sent because 2,000 were already waiting count as overload; their latency is included as measured (a timeout counts as 10 s).",
    "",
    "| endpoint | path | rate req/s | achieved | p50 ms | p95 ms | p99 ms | max ms | errors | of which overload | p95 < 50 ms |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...r.fixedRate.map(
      (t) =>
        `| ${LABELS[t.kind]} | ${t.target} | ${t.result.targetRate ?? ""} | ${f0(t.result.rps)} | ${ms(t.result.p50Ms)} | ${ms(t.result.p95Ms)} | ${ms(t.result.p99Ms)} | ${ms(t.result.maxMs)} | ${t.result.errors} | ${t.result.overload ?? 0} | ${t.result.p95Ms < 50 ? "yes" : "no"} |`,
    ),
    "",
    "## Startup (process start → first `/api/ready` 200, PostgreSQL and Redis running)",
    "",
    "| entry point | runs | median ms | min ms | max ms |",
    "| --- | ---: | ---: | ---: | ---: |",
  );
  for (const [name, values] of [
    ["compiled executable (api/package.json `build`, what api/Containerfile ships)", r.startup.compiled],
    ["bundle on bun (`bun build --target=bun`, for comparison)", r.startup.bundle],
    ["source (`bun api/src/main.ts serve`)", r.startup.source],
  ] as const) {
    if (values.length === 0) continue;
    push(
      `| ${name} | ${values.length} | ${f0(median(values))} | ${f0(Math.min(...values))} | ${f0(Math.max(...values))} |`,
    );
  }
  if (r.startup.firstWithMigrations !== undefined) {
    push(
      `| compiled, first start on an empty database (applies migrations) | 1 | ${f0(r.startup.firstWithMigrations)} | | |`,
    );
  }
  if (r.crashes.length > 0) {
    push(
      "",
      "## API crashes during the run",
      "",
      "Each crashed instance was restarted on its port so that the run could go on; the step it happened in is marked failed below.",
      "",
    );
    for (const c of r.crashes) {
      push(
        `### API ${c.api}, exit code ${c.exitCode}, during "${c.step}"`,
        "",
        "```",
        c.stderr.trim() || "(no stderr)",
        "--- last non-request log lines ---",
        ...c.lastLog,
        "```",
        "",
      );
    }
  }
  const codes = r.shutdownCodes;
  push(
    "",
    `SIGTERM → exit codes of the ${codes.length} API processes stopped in this run (issue 3 wants 0 within 10 s; null = killed after 12 s): ${codes.map(String).join(", ") || "—"}${codes.every((c) => c === 0) ? "" : " — **not all 0**"}.`,
  );
  const pair = (v: number[] | undefined) => (v ? v.map((x) => f1(x)).join(" / ") : "—");
  push(
    "",
    "## Memory (RSS, MB; instance A / instance B)",
    "",
    "| when | RSS |",
    "| --- | --- |",
    `| fresh start, 1 s after ready (median of ${r.startup.compiledIdleRss.length}; executable read from disk) | ${f1(median(r.startup.compiledIdleRss))} |`,
    `| the same from a copy written just before (median of ${r.startup.justWrittenIdleRss.length}; see docs/benchmarks.md#idle-rss) | ${f1(median(r.startup.justWrittenIdleRss))} |`,
    `| idle after seeding and sign-in, before load | ${pair(r.memory.idleBeforeLoad)} |`,
    `| right after the throughput runs | ${pair(r.memory.afterLoad)} |`,
    `| soak: after ${Math.min(60, Math.floor(o.soak / 2))} s | ${pair(r.memory.after60s)} |`,
    `| soak: at the end (${o.soak} s) | ${pair(r.memory.afterSoak)} |`,
    `| ${o.smoke ? 1 : 20} s after the soak | ${pair(r.memory.settled)} |`,
    "",
  );
  if (r.memory.soakResult) {
    const s = r.memory.soakResult;
    push(
      `Soak load: ${s.requests} requests at ${f0(s.rps)} req/s (mix: 50 % cached list, 17 % uncached list, 8 % search, 25 % writes), p50 ${ms(s.p50Ms)} ms, p95 ${ms(s.p95Ms)} ms, p99 ${ms(s.p99Ms)} ms, ${s.errors} errors.`,
      "",
      `RSS samples (s: A/B): ${r.memory.soakSamples.map((x) => `${x.t}: ${f0(x.a)}/${f0(x.b)}`).join(", ")}`,
      "",
    );
  }
  push(
    "## Sizes",
    "",
    `- SPA initial JavaScript: ${f1(r.sizes.spaJsGzipKb)} KB gzip (budget ${r.sizes.spaBudgetKb ?? "—"} KB): ${r.sizes.spaDetail ?? "—"}`,
    ...Object.entries(r.sizes.images).map(([k, v]) => `- ${k}: ${v}`),
    "",
  );
  if (r.pgbench) push("## Reference SQL (pgbench, `-M prepared`)", "", "```sql", r.pgbench.sql, "```", "");
  if (r.liveUpdates) push("## Live updates at scale (bench/sse.ts)", "", r.liveUpdates, "");
  if (Object.keys(r.plans).length > 0) {
    push("## Query plans (EXPLAIN (ANALYZE, BUFFERS) after the run)", "");
    for (const [name, plan] of Object.entries(r.plans)) push(`### ${name}`, "", "```", plan, "```", "");
  }
  push(
    "## Steps",
    "",
    "| step | seconds | status |",
    "| --- | ---: | --- |",
    ...r.steps.map(
      (s) =>
        `| ${s.name} | ${s.seconds.toFixed(1)} | ${s.ok ? "ok" : `FAILED: ${(s.error ?? "").split("\n")[0]?.replaceAll("|", "\\|")}`} |`,
    ),
    "",
  );
  return lines.join("\n");
}
