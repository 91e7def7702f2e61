// Open-loop load generator: sends requests at a fixed arrival rate whatever the server does (wrk2 is
// not in Debian, and wrk's closed loop hides queueing). Latency is measured from each request's
// scheduled start, so a stall counts against every request it delays (no coordinated omission).
//   bun bench/openloop.ts <baseUrl> <rate/s> <seconds>      (request kind and data: BENCH_* env, see lua)
// Prints one line: BENCH_JSON {requests, seconds, rps, p50Ms, p95Ms, p99Ms, maxMs, errors, targetRate}.
import { readFileSync } from "node:fs";

const [baseUrl = "", rateArg = "200", secondsArg = "10"] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const env = process.env;
const kind = env.BENCH_KIND ?? "hello";
const token = env.BENCH_TOKEN ?? "";
const projects = (env.BENCH_PROJECTS ?? "").split(",").filter(Boolean);
const readLines = (path: string | undefined) =>
  path ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
const tasks = readLines(env.BENCH_TASKS_FILE);
const users = readLines(env.BENCH_USERS_FILE).map((line) => line.split(" "));
const missBase = Number(env.BENCH_MISS_BASE ?? 946_684_800_000);
const words = [
  "deploy",
  "invoice",
  "login",
  "report",
  "cache",
  "search",
  "mobile",
  "billing",
  "onboarding",
  "export",
  "review",
  "release",
];
const statuses = ["todo", "in_progress", "done"];
const priorities = ["low", "medium", "high", "urgent"];
const pick = <T>(list: T[], n: number): T => list[n % list.length] as T;
const auth = { Authorization: `Bearer ${token}` };
const json = { ...auth, "Content-Type": "application/json" };

type Built = { method: string; path: string; headers?: Record<string, string>; body?: string };
// Same requests as bench/lua/taskplatform.lua (thread id 9 keeps the dueAfter values apart from wrk's).
const dueAfter = (n: number) => new Date(missBase + 9 * 1_000_000_000 + n).toISOString();
const builders: Record<string, (n: number) => Built> = {
  hello: () => ({ method: "GET", path: env.BENCH_PATH ?? "/hello" }),
  list_hit: (n) => ({ method: "GET", path: `/api/tasks?projectId=${pick(projects, n)}`, headers: auth }),
  list_miss: (n) => ({
    method: "GET",
    path: `/api/tasks?projectId=${pick(projects, n)}&dueAfter=${dueAfter(n)}`,
    headers: auth,
  }),
  search: (n) => ({
    method: "GET",
    path: `/api/tasks?projectId=${pick(projects, n)}&q=${pick(words, n)}&dueAfter=${dueAfter(n)}`,
    headers: auth,
  }),
  create: (n) => ({
    method: "POST",
    path: "/api/tasks",
    headers: json,
    body: JSON.stringify({
      projectId: pick(projects, n),
      title: `Bench ${pick(words, n)} task ol-${n}`,
      description: "Created by the benchmark",
      priority: pick(priorities, n),
      labels: ["bench", pick(words, n + 3)],
      dueAt: "2027-01-15T09:00:00.000Z",
    }),
  }),
  update: (n) => ({
    method: "PATCH",
    path: `/api/tasks/${pick(tasks, 9 * 7919 + n)}`,
    headers: json,
    body: JSON.stringify({ title: `Updated ${pick(words, n)} ol-${n}`, priority: pick(priorities, n) }),
  }),
  move: (n) => ({
    method: "POST",
    path: `/api/tasks/${pick(tasks, 9 * 7919 + n)}/move`,
    headers: json,
    body: JSON.stringify({ status: pick(statuses, n), position: n % 20 }),
  }),
  login: (n) => {
    const [email = "", password = ""] = pick(users, n);
    return {
      method: "POST",
      path: "/api/auth/login",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    };
  },
};
const mix = ["list_hit", "list_hit", "list_hit", "list_hit", "list_hit", "list_hit"]
  .concat(["list_miss", "list_miss", "search", "create", "update", "move"])
  .map((name) => builders[name] as (n: number) => Built);
builders.mix = (n) => pick(mix, n)(n);

const found = builders[kind];
if (!found) {
  console.error(`unknown BENCH_KIND ${kind}`);
  process.exit(2);
}
const build: (n: number) => Built = found;

const latencies: number[] = [];
let errors = 0;
let overload = 0;
let notSent = 0;
const byStatus: Record<string, number> = {};
const count = (key: string) => {
  byStatus[key] = (byStatus[key] ?? 0) + 1;
};
let inFlight = 0;
const MAX_IN_FLIGHT = 2000;
const interval = 1000 / rate;
const total = Math.floor(rate * seconds);
const started = performance.now();
const pending = new Set<Promise<void>>();

async function fire(n: number, scheduled: number): Promise<void> {
  const { method, path, headers, body } = build(n);
  inFlight++;
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
      tls: { rejectUnauthorized: false },
    } as RequestInit);
    await response.arrayBuffer();
    count(String(response.status));
    if (response.status >= 400) errors++;
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    count(timedOut ? "timeout" : "network error");
    if (timedOut) overload++;
    errors++;
  } finally {
    inFlight--;
    latencies.push(performance.now() - scheduled);
  }
}

for (let n = 1; n <= total; n++) {
  const scheduled = started + (n - 1) * interval;
  const wait = scheduled - performance.now();
  if (wait > 1) await Bun.sleep(wait);
  if (inFlight >= MAX_IN_FLIGHT) {
    errors++; // the server has stalled; count the request as failed rather than queueing forever
    overload++;
    notSent++;
    count("not sent (too many in flight)");
    continue;
  }
  const p = fire(n, scheduled);
  pending.add(p);
  void p.finally(() => pending.delete(p));
}
await Promise.all(pending);
const elapsed = (performance.now() - started) / 1000;

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
const result = {
  requests: latencies.length,
  seconds: elapsed,
  rps: latencies.length / Math.max(elapsed, seconds),
  p50Ms: pct(50),
  p95Ms: pct(95),
  p99Ms: pct(99),
  maxMs: latencies.at(-1) ?? 0,
  errors,
  overload,
  notSent,
  targetRate: rate,
  statuses: byStatus,
};
process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
process.exit(0);
