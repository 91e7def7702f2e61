// Load generators: wrk (closed loop, fixed concurrency: throughput) with bench/lua/taskplatform.lua, and
// bench/openloop.ts (open loop, fixed arrival rate: latency percentiles without coordinated omission).
import { join } from "node:path";

export const benchDir = join(import.meta.dir, "..");
export const LUA_SCRIPT = join(benchDir, "lua/taskplatform.lua");

export type Kind =
  | "hello"
  | "list_hit"
  | "list_miss"
  | "search"
  | "create"
  | "update"
  | "move"
  | "login"
  | "mix";

/** What every request builder needs (passed to wrk and openloop.ts as environment variables). */
export interface LoadContext {
  token: string;
  projectIds: string[];
  tasksFile: string;
  usersFile: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Non-2xx/3xx responses plus socket errors, timeouts and (open loop) requests not sent. */
  errors: number;
  /** The part of `errors` that is overload: timeouts, requests not sent. */
  overload?: number;
  /** Open loop: requests never sent (2,000 already in flight); counted in errors and overload only. */
  notSent?: number;
  /** For open-loop runs: the arrival rate asked for. */
  targetRate?: number;
  /** Open-loop runs: responses by status code (or "timeout", "network error"). */
  statuses?: Record<string, number>;
}

let missBase = 946_684_800_000; // 2000-01-01; each run gets its own window of unique dueAfter values

function loadEnv(kind: Kind, ctx: LoadContext | undefined): Record<string, string> {
  missBase += 10_000_000_000; // ~115 days per run: no two runs share a cache key
  return {
    BENCH_KIND: kind,
    BENCH_TOKEN: ctx?.token ?? "",
    BENCH_PROJECTS: ctx?.projectIds.join(",") ?? "",
    BENCH_TASKS_FILE: ctx?.tasksFile ?? "",
    BENCH_USERS_FILE: ctx?.usersFile ?? "",
    BENCH_MISS_BASE: String(missBase),
  };
}

export async function runWrk(options: {
  url: string;
  kind: Kind;
  ctx?: LoadContext;
  seconds: number;
  connections: number;
  threads: number;
  path?: string;
}): Promise<LoadResult> {
  const proc = Bun.spawn(
    [
      "wrk",
      "-t",
      String(options.threads),
      "-c",
      String(options.connections),
      "-d",
      `${options.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      LUA_SCRIPT,
      `${options.url}${options.path ?? ""}`,
    ],
    {
      env: { ...process.env, ...loadEnv(options.kind, options.ctx), BENCH_PATH: options.path ?? "/hello" },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (code !== 0 || !line) throw new Error(`wrk ${options.kind} failed (exit ${code}):\n${err}\n${out}`);
  const r = JSON.parse(line.slice("BENCH_JSON ".length)) as Record<string, number>;
  const seconds = (r.durationUs ?? 0) / 1e6;
  const requests = r.requests ?? 0;
  return {
    requests,
    seconds,
    rps: seconds > 0 ? requests / seconds : 0,
    p50Ms: (r.p50Us ?? 0) / 1000,
    p95Ms: (r.p95Us ?? 0) / 1000,
    p99Ms: (r.p99Us ?? 0) / 1000,
    maxMs: (r.maxUs ?? 0) / 1000,
    overload: r.timeouts ?? 0,
    errors:
      (r.statusErrors ?? 0) +
      (r.connectErrors ?? 0) +
      (r.readErrors ?? 0) +
      (r.writeErrors ?? 0) +
      (r.timeouts ?? 0),
  };
}

export async function runOpenLoop(options: {
  url: string;
  kind: Kind;
  ctx?: LoadContext;
  seconds: number;
  rate: number;
  /** Called every second with the time elapsed (for RSS sampling during the soak). */
  onTick?: (elapsedSeconds: number) => void;
}): Promise<LoadResult> {
  const proc = Bun.spawn(
    [
      process.execPath,
      join(benchDir, "openloop.ts"),
      options.url,
      String(options.rate),
      String(options.seconds),
    ],
    { env: { ...process.env, ...loadEnv(options.kind, options.ctx) }, stdout: "pipe", stderr: "pipe" },
  );
  const started = performance.now();
  const ticker = options.onTick
    ? setInterval(() => options.onTick?.((performance.now() - started) / 1000), 1000)
    : undefined;
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (ticker) clearInterval(ticker);
  const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (code !== 0 || !line) throw new Error(`openloop ${options.kind} failed (exit ${code}):\n${err}\n${out}`);
  return JSON.parse(line.slice("BENCH_JSON ".length)) as LoadResult;
}
