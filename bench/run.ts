#!/usr/bin/env bun
// TaskPlatform benchmark: one repeatable run that starts PostgreSQL, Redis, two compiled API instances and
// nginx with the project's configuration, seeds realistic data, and measures throughput, latency at a
// fixed rate, startup and memory next to reference points taken in the same run (a Hono "hello" server
// and pgbench with the task-list SQL). Writes bench/RESULTS.md (smoke runs write a temp file).
// See docs/benchmarks.md.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { TASK_JSON } from "../api/src/tasks/repository.ts";
import { buildCompiledApi } from "../api/test/support/api-process.ts";
import {
  createDatabase,
  freePort,
  postgresBinDir,
  type RunningService,
  startPostgres,
  startRedis,
} from "../api/test/support/services.ts";
import {
  type ApiProcess,
  buildBundledApi,
  evictFromPageCache,
  repoRoot,
  rssMbOf,
  startApiProcess,
} from "./lib/api-binary.ts";
import { type Kind, type LoadContext, type LoadResult, runOpenLoop, runWrk } from "./lib/load.ts";
import { type BenchNginx, startBenchNginx } from "./lib/nginx.ts";
import { renderReport } from "./lib/report.ts";
import { seed } from "./lib/seed.ts";

const HELP = `Usage: bun run bench [options]        (same as: bun bench/run.ts [options])

Runs the whole benchmark (15–20 minutes with the defaults) and writes bench/RESULTS.md.

Options (each also as an environment variable):
  --smoke               every step for a second or two, small data set; writes a temp file   BENCH_SMOKE=1
  --duration <s>        seconds per wrk and fixed-rate run (default 15)                       BENCH_DURATION
  --connections <n>     wrk connections for the throughput runs (default 32)                  BENCH_CONNECTIONS
  --threads <n>         wrk threads (default 2)                                               BENCH_THREADS
  --rate <n>            fixed arrival rate for the latency runs, req/s (default 200)          BENCH_RATE
  --login-rate <n>      fixed arrival rate for login (argon2id is deliberately slow; default 20) BENCH_LOGIN_RATE
  --soak <s>            leak-check duration (default 300)                                     BENCH_SOAK
  --soak-rate <n>       leak-check arrival rate, req/s (default 100)                          BENCH_SOAK_RATE
  --tasks <n>           seeded tasks (default 100000)                                         BENCH_TASKS
  --startup-runs <n>    process starts to time (default 10)                                   BENCH_STARTUP_RUNS
  --out <file>          where to write the report (default bench/RESULTS.md; smoke: a temp file) BENCH_OUT
  --build-images        build the API and proxy images when a container engine is present   BENCH_BUILD_IMAGES=1
  -h, --help            this text

Exit status: 0 when every step ran (numbers that miss a target do not fail the run), 1 when a step failed.`;

// ---------- options ----------

type Options = {
  smoke: boolean;
  duration: number;
  connections: number;
  threads: number;
  rate: number;
  loginRate: number;
  soak: number;
  soakRate: number;
  tasks: number;
  startupRuns: number;
  out: string;
  buildImages: boolean;
};

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "-h" || arg === "--help") {
      console.log(HELP);
      process.exit(0);
    }
    if (!arg.startsWith("--")) {
      console.error(`unexpected argument ${arg}\n\n${HELP}`);
      process.exit(2);
    }
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (name === "smoke" || name === "build-images") flags.set(name, "1");
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) {
        console.error(`--${name} needs a value`);
        process.exit(2);
      }
      flags.set(name, value);
    }
  }
  const known = [
    "smoke",
    "duration",
    "connections",
    "threads",
    "rate",
    "login-rate",
    "soak",
    "soak-rate",
    "tasks",
    "startup-runs",
    "out",
    "build-images",
  ];
  for (const name of flags.keys()) {
    if (!known.includes(name)) {
      console.error(`unknown option --${name}\n\n${HELP}`);
      process.exit(2);
    }
  }
  const get = (name: string) =>
    flags.get(name) ?? process.env[`BENCH_${name.toUpperCase().replaceAll("-", "_")}`];
  const truthy = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v !== "false";
  const smoke = truthy(get("smoke"));
  const num = (name: string, full: number, smokeValue: number) => {
    const raw = get(name);
    const value = raw === undefined ? (smoke ? smokeValue : full) : Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      console.error(`--${name} must be a positive number, got ${raw}`);
      process.exit(2);
    }
    return value;
  };
  return {
    smoke,
    duration: Math.max(1, Math.round(num("duration", 15, 1))),
    connections: num("connections", 32, 4),
    threads: num("threads", 2, 1),
    rate: num("rate", 200, 50),
    loginRate: num("login-rate", 20, 5),
    soak: Math.round(num("soak", 300, 6)),
    soakRate: num("soak-rate", 100, 50),
    tasks: Math.round(num("tasks", 100_000, 5_000)),
    startupRuns: Math.round(num("startup-runs", 10, 2)),
    out:
      get("out") ??
      (smoke
        ? join(tmpdir(), `taskplatform-bench-smoke-${Date.now()}.md`)
        : join(repoRoot, "bench/RESULTS.md")),
    buildImages: truthy(get("build-images")),
  };
}

// ---------- results ----------

export interface StepRecord {
  name: string;
  ok: boolean;
  seconds: number;
  error?: string;
}

export interface Results {
  options: Options;
  startedAt: Date;
  finishedAt?: Date;
  machine: Record<string, string>;
  versions: Record<string, string>;
  steps: StepRecord[];
  seed?: { users: number; projects: number; tasks: number; editableProjects: number; seconds: number };
  nginxChanges: string[];
  hello?: LoadResult & { cpuMsPerRequest?: number };
  /** The hello server doing one postgres.js query per request. */
  helloPg?: LoadResult & { cpuMsPerRequest?: number };
  /** The hello server doing a cached list's round trips (Redis script, SQL query, 4 KB GET) and nothing else. */
  helloIo?: LoadResult & { cpuMsPerRequest?: number };
  pgbench?: { tps: number; latencyMs: number; clients: number; sql: string };
  throughput: {
    kind: Kind;
    target: "direct" | "nginx";
    result: LoadResult;
    cache?: CacheDelta;
    /** API CPU time per request (both instances for nginx runs), ms. */
    cpuMsPerRequest?: number;
  }[];
  fixedRate: { kind: Kind; target: "direct" | "nginx"; result: LoadResult }[];
  startup: {
    compiled: number[];
    compiledIdleRss: number[];
    /** The same, started from a copy written just before (see evictFromPageCache). */
    justWrittenIdleRss: number[];
    bundle: number[];
    source: number[];
    firstWithMigrations?: number;
  };
  memory: {
    idleBeforeLoad?: number[];
    afterLoad?: number[];
    soakSamples: { t: number; a: number; b: number }[];
    after60s?: number[];
    afterSoak?: number[];
    settled?: number[];
    soakResult?: LoadResult;
  };
  sizes: { spaJsGzipKb?: number; spaBudgetKb?: number; spaDetail?: string; images: Record<string, string> };
  plans: Record<string, string>;
  /** bench/sse.ts's report: open event streams, delivery and RSS (issue 23). */
  liveUpdates?: string;
  poolMax: number;
  /** Exit codes of API processes stopped with SIGTERM (issue 3: 0 within 10 s). */
  shutdownCodes: (number | null)[];
  /** API processes that died during the run (each was restarted on its port so the run could go on). */
  crashes: { api: string; step: string; exitCode: number; stderr: string; lastLog: string[] }[];
}

export interface CacheDelta {
  hit: number;
  miss: number;
  bypass: number;
}

const options = parseOptions(process.argv.slice(2));
const results: Results = {
  options,
  startedAt: new Date(),
  machine: {},
  versions: {},
  steps: [],
  nginxChanges: [],
  throughput: [],
  fixedRate: [],
  startup: { compiled: [], compiledIdleRss: [], justWrittenIdleRss: [], bundle: [], source: [] },
  memory: { soakSamples: [] },
  sizes: { images: {} },
  plans: {},
  poolMax: 10,
  shutdownCodes: [],
  crashes: [],
};

const t0 = performance.now();
const log = (msg: string) =>
  console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`);

/** Records and restarts API instances that died during a step; returns a description, or "". */
async function recoverCrashes(stepName: string): Promise<string> {
  const found: string[] = [];
  for (const { name, api } of watchedApis) {
    const code = api.exitCode();
    if (code === null) continue;
    const read = (file: string) => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return "";
      }
    };
    const lastLog = read(api.logFile)
      .split("\n")
      .filter((l) => l && !l.includes('"msg":"request"'))
      .slice(-6)
      .map((l) => l.slice(0, 300));
    results.crashes.push({
      api: name,
      step: stepName,
      exitCode: code,
      stderr: read(api.errFile).slice(0, 2000),
      lastLog,
    });
    found.push(
      `API ${name} exited with code ${code} (stderr: ${read(api.errFile).trim().split("\n")[0] ?? ""})`,
    );
    log(`API ${name} crashed (exit ${code}); restarting it on port ${api.port}`);
    await api.restart();
  }
  return found.join("; ");
}

async function step<T>(name: string, run: () => Promise<T>, required = false): Promise<T | undefined> {
  const started = performance.now();
  log(`▶ ${name}`);
  try {
    const value = await run();
    const crashed = await recoverCrashes(name);
    if (crashed) throw new Error(crashed);
    results.steps.push({ name, ok: true, seconds: (performance.now() - started) / 1000 });
    return value;
  } catch (error) {
    const crashed = await recoverCrashes(name).catch((e) => `restart failed: ${e}`);
    const message = `${error instanceof Error ? error.message : String(error)}${crashed ? `; ${crashed}` : ""}`;
    results.steps.push({ name, ok: false, seconds: (performance.now() - started) / 1000, error: message });
    log(`✗ ${name}: ${message.split("\n").slice(0, 8).join("\n    ")}`);
    if (required) throw new AbortRun(name);
    return undefined;
  }
}

class AbortRun extends Error {}

const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

function sh(cmd: string[]): string {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return `${r.stdout.toString()}${r.stderr.toString()}`.trim();
  } catch {
    return "";
  }
}

let logFiles: string[] = [];
let watchedApis: { name: string; api: ApiProcess }[] = [];
/** The last error lines the API instances logged, to explain a failed step. */
function apiErrors(): string {
  const lines = logFiles.flatMap((file) => {
    try {
      return readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.includes('"level":"error"') || l.includes('"level":"warn"'))
        .slice(-3);
    } catch {
      return [];
    }
  });
  return lines.length ? `\n  API log: ${lines.map((l) => l.slice(0, 400)).join("\n  API log: ")}` : "";
}

/**
 * A load run "fails" only when the service misbehaved: nothing succeeded, or more than 1 % of the
 * requests got an error answer (5xx, 4xx) or a refused/reset connection. Timeouts and requests the
 * open-loop generator could not send are overload (a busy machine), recorded in the results, not failures.
 */
function checkLoad(what: string, r: LoadResult): LoadResult {
  // Open-loop requests that were never sent are in `errors` but not in `requests`.
  const succeeded = r.requests - (r.errors - (r.notSent ?? 0));
  if (succeeded <= 0) throw new Error(`${what}: no request succeeded${apiErrors()}`);
  const serverErrors = r.errors - (r.overload ?? 0);
  if (serverErrors > Math.max(1, r.requests * 0.01)) {
    const detail = r.statuses ? ` (${JSON.stringify(r.statuses)})` : "";
    throw new Error(`${what}: ${serverErrors} of ${r.requests} requests failed${detail}${apiErrors()}`);
  }
  return r;
}

async function cacheCounters(apis: ApiProcess[]): Promise<CacheDelta> {
  const total: CacheDelta = { hit: 0, miss: 0, bypass: 0 };
  for (const api of apis) {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    for (const m of text.matchAll(/^cache_requests_total\{[^}]*result="(\w+)"[^}]*\}\s+([\d.e+]+)/gm)) {
      const key = m[1] as keyof CacheDelta;
      if (key in total) total[key] += Number(m[2]);
    }
  }
  return total;
}

/** User + system CPU seconds a process has used so far (from /proc; Linux clock ticks are 1/100 s). */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Stops a PostgreSQL from services.ts. As root it runs under runuser, which does not pass SIGINT on. */
async function stopPostgres(pg: RunningService): Promise<void> {
  try {
    const db = new SQL(pg.url, { max: 1 });
    const [{ data_directory: dir }] = await db`SELECT current_setting('data_directory') AS data_directory`;
    await db.close();
    const pid = Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGINT");
  } catch {
    // already gone
  }
  await Promise.race([pg.stop(), Bun.sleep(10_000)]);
}

// ---------- the run ----------

const work = mkdtempSync(join(tmpdir(), "tp-bench-"));
const cleanups: Array<() => Promise<unknown>> = [];
let exitCode = 0;

try {
  await main();
} catch (error) {
  if (!(error instanceof AbortRun)) {
    console.error(error);
    results.steps.push({ name: "run", ok: false, seconds: 0, error: String(error) });
  }
} finally {
  log("stopping services");
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  results.finishedAt = new Date();
  results.machine["load average at end"] = loadAverage();
  writeFileSync(options.out, renderReport(results));
  const failed = results.steps.filter((s) => !s.ok);
  if (failed.length === 0) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work} (API logs, request files) for the failed steps`);
  if (failed.length > 0) exitCode = 1;
  log(`report: ${options.out}`);
  log(
    failed.length === 0
      ? "all steps ran"
      : `${failed.length} step(s) failed: ${failed.map((s) => s.name).join(", ")}`,
  );
}
process.exit(exitCode);

async function main(): Promise<void> {
  const o = options;
  log(o.smoke ? "smoke run (numbers are not meaningful)" : "full run");

  await step(
    "preflight",
    async () => {
      const missing = ["wrk", "nginx", "pgbench", "redis-server"].filter((t) => !Bun.which(t));
      if (!postgresBinDir()) missing.push("postgresql");
      if (missing.length > 0) throw new Error(`missing tools: ${missing.join(", ")} (see .ci/apt-packages)`);
      const cpuModel = cpus()[0]?.model ?? "unknown";
      results.machine = {
        cpu: `${cpuModel} × ${cpus().length}`,
        memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
        kernel: sh(["uname", "-sr"]),
        os: (readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]+)/m)?.[1] ?? "").trim(),
        "load average at start": loadAverage(),
      };
      results.versions = {
        bun: Bun.version,
        nginx: sh(["nginx", "-v"]).replace("nginx version: ", ""),
        postgresql: sh([join(postgresBinDir() ?? "", "postgres"), "--version"]).replace("postgres ", ""),
        redis: sh(["redis-server", "--version"]).match(/v=(\S+)/)?.[1] ?? "",
        wrk: sh(["wrk", "-v"]).split("\n")[0]?.split(" ")[1] ?? "",
        pgbench: sh(["pgbench", "--version"]).replace("pgbench ", ""),
        commit: sh(["git", "-C", repoRoot, "rev-parse", "--short", "HEAD"]),
        "tree dirty": sh(["git", "-C", repoRoot, "status", "--porcelain", "--", "api/src"])
          ? "yes (api/src)"
          : "no",
      };
    },
    true,
  );

  const binary = await step(
    "build compiled API (api/package.json build, what api/Containerfile ships); evict it from the page cache",
    async () => {
      const executable = buildCompiledApi(join(work, "taskplatform-api"));
      evictFromPageCache(executable);
      return executable;
    },
    true,
  );
  const bundle = await step("build bundled API (for comparison)", async () => buildBundledApi(work));

  const pg = (await step("start PostgreSQL", startPostgres, true)) as RunningService;
  cleanups.push(() => stopPostgres(pg));
  const redis = (await step("start Redis", startRedis, true)) as RunningService;
  cleanups.push(() => redis.stop());
  const databaseUrl = (await step(
    "create database",
    () => createDatabase(pg.url, "tp_bench"),
    true,
  )) as string;
  await step("Redis: maxmemory 512mb, allkeys-lru (cache-miss runs write many keys)", async () => {
    const client = new Bun.RedisClient(redis.url);
    await client.send("CONFIG", ["SET", "maxmemory", "512mb"]);
    await client.send("CONFIG", ["SET", "maxmemory-policy", "allkeys-lru"]);
    client.close();
  });

  const startApi = (name: string, command: string[]) =>
    startApiProcess({ command, databaseUrl, redisUrl: redis.url, logFile: join(work, `${name}.log`) });

  // API A applies the migrations on its first start.
  const apiA = (await step(
    "start API A (compiled; applies migrations)",
    async () => {
      const api = await startApi("api-a", [binary as string]);
      results.startup.firstWithMigrations = api.readyMs;
      return api;
    },
    true,
  )) as ApiProcess;
  cleanups.push(async () => results.shutdownCodes.push(await apiA.stop()));

  /** Starts the executable, takes its RSS 1 s after ready (idle RSS), stops it. */
  const startIdle = async (name: string, executable: string) => {
    const api = await startApi(name, [executable]);
    await Bun.sleep(1000);
    const idleRss = api.rssMb();
    results.shutdownCodes.push(await api.stop());
    return { readyMs: api.readyMs, idleRss };
  };
  const comparisonRuns = Math.max(1, Math.ceil(o.startupRuns / 2));

  await step("startup: compiled binary, start → /api/ready 200", async () => {
    for (let i = 0; i < o.startupRuns; i++) {
      const { readyMs, idleRss } = await startIdle(`startup-${i}`, binary as string);
      results.startup.compiled.push(readyMs);
      results.startup.compiledIdleRss.push(idleRss);
    }
  });
  await step("idle RSS of the executable just written (a fresh copy)", async () => {
    const copy = join(work, "taskplatform-api-copy");
    await Bun.write(copy, Bun.file(binary as string));
    chmodSync(copy, 0o755);
    for (let i = 0; i < comparisonRuns; i++) {
      results.startup.justWrittenIdleRss.push((await startIdle(`just-written-${i}`, copy)).idleRss);
    }
  });
  await step("startup: bundle and source (for comparison)", async () => {
    for (let i = 0; i < comparisonRuns; i++) {
      if (bundle) {
        const api = await startApi(`startup-bundle-${i}`, [process.execPath, bundle]);
        results.startup.bundle.push(api.readyMs);
        results.shutdownCodes.push(await api.stop());
      }
      const src = await startApi(`startup-src-${i}`, [process.execPath, join(repoRoot, "api/src/main.ts")]);
      results.startup.source.push(src.readyMs);
      results.shutdownCodes.push(await src.stop());
    }
  });

  const seeded = (await step(
    `seed (20 users, 50 projects, ${o.tasks} tasks)`,
    () => seed(databaseUrl, { users: 20, projects: 50, tasks: o.tasks }),
    true,
  )) as Awaited<ReturnType<typeof seed>>;
  results.seed = {
    users: 20,
    projects: 50,
    tasks: seeded.taskCount,
    editableProjects: seeded.projectIds.length,
    seconds: seeded.seconds,
  };
  const tasksFile = join(work, "tasks.txt");
  const usersFile = join(work, "users.txt");
  writeFileSync(tasksFile, `${seeded.taskIds.join("\n")}\n`);
  writeFileSync(usersFile, `${seeded.credentials.map((c) => `${c.email} ${c.password}`).join("\n")}\n`);

  const apiB = (await step(
    "start API B (compiled)",
    () => startApi("api-b", [binary as string]),
    true,
  )) as ApiProcess;
  cleanups.push(async () => results.shutdownCodes.push(await apiB.stop()));
  const nginx = (await step(
    "start nginx (proxy/ config via proxy/test/harness.ts)",
    async () => startBenchNginx([`127.0.0.1:${apiA.port}`, `127.0.0.1:${apiB.port}`]),
    true,
  )) as BenchNginx;
  cleanups.push(() => nginx.stop());
  results.nginxChanges = nginx.changes;

  const token = (await step(
    "login through the real endpoint",
    async () => {
      const response = await fetch(`${nginx.url}/api/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: seeded.email, password: seeded.password }),
        tls: { rejectUnauthorized: false },
      } as RequestInit);
      if (response.status !== 200)
        throw new Error(`login answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { accessToken: string }).accessToken;
    },
    true,
  )) as string;
  const ctx: LoadContext = { token, projectIds: seeded.projectIds, tasksFile, usersFile };
  logFiles = [apiA.logFile, apiB.logFile];
  watchedApis = [
    { name: "A", api: apiA },
    { name: "B", api: apiB },
  ];
  const apis = [apiA, apiB];

  await step("idle RSS before load", async () => {
    await Bun.sleep(o.smoke ? 500 : 3000);
    results.memory.idleBeforeLoad = apis.map((a) => a.rssMb());
  });

  await step("warm up (every endpoint, both paths; fills the list cache)", async () => {
    const all: Kind[] = ["list_hit", "list_miss", "search", "create", "update", "move"];
    for (const url of [apiA.url, apiB.url, nginx.url]) {
      for (const kind of o.smoke ? (["list_hit"] as Kind[]) : all) {
        const seconds = o.smoke ? 1 : 2;
        checkLoad(`warm-up ${kind}`, await runWrk({ url, kind, ctx, seconds, connections: 4, threads: 1 }));
      }
    }
    await runOpenLoop({ url: nginx.url, kind: "list_hit", ctx, seconds: 1, rate: 50 });
  });

  /**
   * Waits until both instances answer /api/ready quickly again. An overloaded run leaves a backlog (the
   * API keeps working on requests whose clients gave up), which would otherwise land on the next run.
   */
  const drain = async () => {
    const deadline = performance.now() + (o.smoke ? 10_000 : 90_000);
    let quick = 0;
    while (performance.now() < deadline && quick < 2) {
      const started = performance.now();
      const ok = await Promise.all(
        apis.map((a) =>
          fetch(`${a.url}/api/ready`, { signal: AbortSignal.timeout(2000) }).then(
            (r) => r.ok,
            () => false,
          ),
        ),
      );
      quick = ok.every(Boolean) && performance.now() - started < 300 ? quick + 1 : 0;
      await Bun.sleep(quick ? 200 : 1000);
    }
  };

  /** One request per project: after the write runs bumped every list version, the hit runs hit. */
  const primeListCache = async (url: string) => {
    for (const projectId of seeded.projectIds) {
      const response = await fetch(`${url}/api/tasks?projectId=${projectId}`, {
        headers: { Authorization: `Bearer ${token}` },
        tls: { rejectUnauthorized: false },
      } as RequestInit);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`priming the list cache: ${response.status}`);
    }
  };

  const wrkRun = (url: string, kind: Kind, seconds = o.duration) =>
    runWrk({ url, kind, ctx, seconds, connections: o.connections, threads: o.threads });

  await step("reference: Hono hello server (framework, one-query and I/O ceilings)", async () => {
    const port = await freePort();
    const hello = Bun.spawn([process.execPath, join(import.meta.dir, "hello.ts")], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, REDIS_URL: redis.url },
      stdout: "ignore",
      stderr: "inherit",
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 200; i++) {
        if (
          await fetch(`${url}/hello`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break;
        await Bun.sleep(25);
      }
      const measure = async (path: string) => {
        await runWrk({ url, kind: "hello", seconds: 1, connections: 4, threads: 1, path });
        const cpuBefore = cpuSecondsOf(hello.pid);
        const result = checkLoad(
          "hello",
          await runWrk({
            url,
            kind: "hello",
            seconds: o.duration,
            connections: o.connections,
            threads: o.threads,
            path,
          }),
        );
        return {
          ...result,
          cpuMsPerRequest: ((cpuSecondsOf(hello.pid) - cpuBefore) * 1000) / result.requests,
        };
      };
      results.hello = await measure("/hello");
      results.helloPg = await measure("/hello/pg");
      results.helloIo = await measure("/hello/io");
    } finally {
      hello.kill("SIGTERM");
      await hello.exited;
    }
  });

  // The exact SQL of a cache-miss list request (api/src/tasks/repository.ts listTasks with projectId and
  // dueAfter, default sort and limit), one script per project, prepared like postgres.js does.
  const listSql = (projectId: string, dueAfter: string) =>
    `SELECT ${TASK_JSON.replace(/\s+/g, " ")} AS json, t.id, (position)::text AS sort_key FROM tasks t WHERE project_id = '${projectId}' AND due_at >= '${dueAfter}'::timestamptz ORDER BY position ASC, t.id ASC LIMIT 51`;
  await step("reference: pgbench with the task-list SQL (database ceiling)", async () => {
    const dir = join(work, "pgbench");
    mkdirSync(dir, { recursive: true });
    const files = seeded.projectIds.map((id, i) => {
      const file = join(dir, `list-${i}.sql`);
      writeFileSync(file, `${listSql(id, "2000-01-01T00:00:00.000Z")};\n`);
      return file;
    });
    const url = new URL(databaseUrl);
    const clients = results.poolMax;
    const proc = Bun.spawn(
      [
        "pgbench",
        "-h",
        url.hostname,
        "-p",
        url.port,
        "-U",
        "postgres",
        "-n",
        "-M",
        "prepared",
        "-c",
        String(clients),
        "-j",
        String(o.threads),
        "-T",
        String(Math.max(2, o.duration)),
        ...files.flatMap((f) => ["-f", `${f}@1`]),
        url.pathname.slice(1),
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    const tps = Number(out.match(/tps = ([\d.]+) \(without initial connection time\)/)?.[1]);
    const latencyMs = Number(out.match(/latency average = ([\d.]+) ms/)?.[1]);
    if (code !== 0 || !Number.isFinite(tps) || tps <= 0) {
      throw new Error(`pgbench failed (${code}): ${err.trim()} ${out.split("\n").slice(-8).join(" ")}`);
    }
    results.pgbench = { tps, latencyMs, clients, sql: listSql("<project id>", "2000-01-01T00:00:00.000Z") };
  });

  const kinds: Kind[] = ["list_hit", "list_miss", "search", "create", "update", "move", "login"];
  for (const [target, url] of [
    ["direct", apiA.url],
    ["nginx", nginx.url],
  ] as const) {
    for (const kind of kinds) {
      await step(`throughput ${kind} (${target}, ${o.connections} connections)`, async () => {
        const watched = target === "direct" ? [apiA] : apis;
        await drain();
        if (kind === "list_hit") await primeListCache(url);
        const before =
          kind.startsWith("list") || kind === "search" ? await cacheCounters(watched) : undefined;
        const cpu = () => watched.reduce((sum, api) => sum + cpuSecondsOf(api.pid), 0);
        const cpuBefore = cpu();
        // argon2id verification takes tens of ms (seconds on a starved machine): longer, fewer connections.
        const result =
          kind === "login"
            ? await runWrk({
                url,
                kind,
                ctx,
                seconds: Math.max(3, o.duration),
                connections: Math.min(o.connections, 8),
                threads: 1,
              })
            : await wrkRun(url, kind);
        const cpuMsPerRequest = ((cpu() - cpuBefore) * 1000) / Math.max(1, result.requests);
        let cache: CacheDelta | undefined;
        if (before) {
          const after = await cacheCounters(watched);
          cache = {
            hit: after.hit - before.hit,
            miss: after.miss - before.miss,
            bypass: after.bypass - before.bypass,
          };
        }
        results.throughput.push({ kind, target, result, cpuMsPerRequest, ...(cache ? { cache } : {}) });
        checkLoad(kind, result);
      });
    }
  }
  await step("RSS after the throughput runs", async () => {
    results.memory.afterLoad = apis.map((a) => a.rssMb());
  });

  for (const [target, url] of [
    ["direct", apiA.url],
    ["nginx", nginx.url],
  ] as const) {
    for (const kind of kinds) {
      const rate = kind === "login" ? o.loginRate : o.rate;
      await step(`fixed rate ${kind} (${target}, ${rate} req/s)`, async () => {
        await drain();
        if (kind === "list_hit") await primeListCache(url);
        const result = await runOpenLoop({ url, kind, ctx, seconds: o.duration, rate });
        results.fixedRate.push({ kind, target, result });
        checkLoad(kind, result);
      });
    }
  }

  await step(`leak check: ${o.soak} s of mixed load at ${o.soakRate} req/s through nginx`, async () => {
    await drain();
    const at60 = Math.min(60, Math.floor(o.soak / 2));
    let nextSample = 0;
    const result = await runOpenLoop({
      url: nginx.url,
      kind: "mix",
      ctx,
      seconds: o.soak,
      rate: o.soakRate,
      onTick: (elapsed) => {
        if (elapsed + 0.5 < nextSample) return;
        nextSample += o.smoke ? 1 : 10;
        const sample = { t: Math.round(elapsed), a: rssMbOf(apiA.pid), b: rssMbOf(apiB.pid) };
        results.memory.soakSamples.push(sample);
        if (results.memory.after60s === undefined && elapsed >= at60) {
          results.memory.after60s = [sample.a, sample.b];
        }
      },
    });
    results.memory.soakResult = result;
    results.memory.afterSoak = apis.map((a) => a.rssMb());
    await Bun.sleep(o.smoke ? 1000 : 20_000);
    results.memory.settled = apis.map((a) => a.rssMb());
    checkLoad("soak", result);
  });

  await step("query plans (EXPLAIN ANALYZE)", async () => {
    const db = new SQL(databaseUrl, { max: 1 });
    try {
      const project = seeded.projectIds[0] as string;
      const [user] = await db`SELECT id FROM users WHERE email = ${seeded.email}`;
      const explain = async (sql: string) =>
        ((await db.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`)) as { "QUERY PLAN": string }[])
          .map((r) => r["QUERY PLAN"])
          .join("\n");
      results.plans["membership + tasks_version (every list, create, update, move)"] = await explain(
        `SELECT m.role, p.tasks_version::text AS tasks_version FROM project_members m JOIN projects p ON p.id = m.project_id WHERE m.project_id = '${project}' AND m.user_id = '${user.id}'`,
      );
      results.plans["task list, default sort (cache miss)"] = await explain(
        listSql(project, "2000-01-01T00:00:00.000Z"),
      );
      results.plans["full-text search"] = await explain(
        `SELECT id, title FROM tasks WHERE project_id = '${project}' AND due_at >= '2000-01-01'::timestamptz AND search @@ to_tsquery('simple', '''deploy'':*') ORDER BY position ASC, id ASC LIMIT 51`,
      );
      results.plans["create: next position in the column"] = await explain(
        `SELECT coalesce(max(position), 0) + 1024 FROM tasks WHERE project_id = '${project}' AND status = 'todo'`,
      );
    } finally {
      await db.close();
    }
  });

  await step("SPA initial JavaScript (web/scripts/budget.ts)", async () => {
    let index = "";
    try {
      index = readFileSync(join(repoRoot, "web/dist/index.html"), "utf8");
    } catch {}
    if (!index) {
      const build = Bun.spawnSync([process.execPath, "run", "--cwd", join(repoRoot, "web"), "build"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      if (build.exitCode !== 0) throw new Error(`web build failed: ${build.stderr}`);
    }
    const budget = Bun.spawnSync([process.execPath, join(repoRoot, "web/scripts/budget.ts")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = `${budget.stdout}${budget.stderr}`;
    const m = out.match(/initial JS ([\d.]+) KB gzip \(budget ([\d.]+) KB\)/);
    if (!m) throw new Error(`unexpected budget output:\n${out}`);
    results.sizes.spaJsGzipKb = Number(m[1]);
    results.sizes.spaBudgetKb = Number(m[2]);
    results.sizes.spaDetail = out
      .split("\n")
      .filter((l) => l.startsWith("budget: /"))
      .map((l) => l.replace("budget: ", ""))
      .join("; ");
  });

  await step("image sizes", async () => {
    const engine = ["podman", "docker"].find(
      (e) => Bun.which(e) && Bun.spawnSync([e, "info"]).exitCode === 0,
    );
    if (!engine) {
      results.sizes.images.note = "no container engine available";
      return;
    }
    // The API's runtime is scratch: all of its image is the executable and glibc.
    const bases: Record<string, string | undefined> = {
      "taskplatform-proxy": "docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine",
    };
    const sizeOf = (ref: string) => {
      const inspect = Bun.spawnSync([engine, "image", "inspect", ref, "--format", "{{.Size}}"], {
        stdout: "pipe",
      });
      const bytes = Number(inspect.stdout.toString().trim());
      return inspect.exitCode === 0 && bytes > 0 ? bytes : undefined;
    };
    for (const [name, file] of [
      ["taskplatform-api", "api/Containerfile"],
      ["taskplatform-proxy", "proxy/Containerfile"],
    ] as const) {
      // Our own tag, so a benchmark never replaces the :latest someone else built.
      const tag = `localhost/${name}:bench`;
      if (o.buildImages) {
        const build = Bun.spawnSync([engine, "build", "-q", "-f", file, "-t", tag, "."], {
          cwd: repoRoot,
          stdout: "pipe",
          stderr: "pipe",
        });
        if (build.exitCode !== 0) {
          results.sizes.images[name] = `build failed (${build.stderr.toString().trim().split("\n").at(-1)})`;
          continue;
        }
      }
      const ref = [tag, `localhost/${name}:latest`].find((r) => sizeOf(r) !== undefined);
      const bytes = ref ? sizeOf(ref) : undefined;
      const baseRef = bases[name];
      const base = baseRef ? sizeOf(baseRef) : undefined;
      results.sizes.images[name] =
        ref && bytes
          ? `${(bytes / 1e6).toFixed(1)} MB (${ref}${base ? `; ${((bytes - base) / 1e6).toFixed(1)} MB on top of ${baseRef}` : ""})`
          : `not built (run with --build-images, or ${engine} build -f ${file} -t ${tag} .)`;
    }
    results.sizes.images.engine = engine;
  });

  await step(
    "live updates at scale (bench/sse.ts: its own servers, the API pinned to one core)",
    async () => {
      const run = Bun.spawn(
        [process.execPath, join(import.meta.dir, "sse.ts"), ...(o.smoke ? ["--smoke"] : [])],
        {
          stdout: "pipe",
          stderr: "inherit",
        },
      );
      const [report, exitCode] = await Promise.all([new Response(run.stdout).text(), run.exited]);
      if (exitCode !== 0) throw new Error(`bench/sse.ts exited with ${exitCode}`);
      results.liveUpdates = report.trim();
    },
  );
}
