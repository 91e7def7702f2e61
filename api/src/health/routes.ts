// Liveness (no I/O, always fast) and readiness (PostgreSQL and the store, each with a 1 s timeout).
//
// Two views of the same readiness check:
//   GET /api/ready       public (nginx forwards /api/): {"status":"ok"|"unavailable"} and 200/503, nothing else.
//                        Error strings name internal addresses ("connect ECONNREFUSED 10.89.0.5:5432"),
//                        so they never leave through it.
//   GET /internal/ready  operators: per-dependency status, latency and error. Outside /api/, so the proxy
//                        never forwards it (nginx also answers 404 for /internal/); reachable on the API's
//                        own port only (the `healthcheck` subcommand, the monitoring network).
// Operators also get the detail without asking: a log line when a dependency goes down (with the error)
// and when it is back, and the gauge readiness_check_up{check} (1 up, 0 down) after every check.
/// <reference path="../prom-client-lib.d.ts" />
import { Hono } from "hono";
import Gauge from "prom-client/lib/gauge";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/context.ts";

const CHECK_TIMEOUT_MS = 1000;

export const LIVENESS_PATH = "/api/health";
export const PUBLIC_READY_PATH = "/api/ready";
export const INTERNAL_READY_PATH = "/internal/ready";

interface CheckResult {
  status: "ok" | "down";
  latencyMs: number;
  error?: string;
}

async function check(run: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  let timer: Timer | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { status: "ok", latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: "down",
      latencyMs: Math.round(performance.now() - started),
      error: (error as Error).message.slice(0, 200),
    };
  } finally {
    clearTimeout(timer);
  }
}

type HealthDeps = Pick<Deps, "sql" | "store"> & Partial<Pick<Deps, "log" | "metrics">>;

/** Runs both checks; logs transitions and sets the gauge, so operators see the reason without the body. */
function readiness(deps: HealthDeps) {
  const registry = deps.metrics?.registry;
  const gauge = registry
    ? ((registry.getSingleMetric("readiness_check_up") as Gauge<"check"> | undefined) ??
      new Gauge({
        name: "readiness_check_up",
        help: "1 when the dependency answered the last readiness check, 0 when it did not",
        labelNames: ["check"],
        registers: [registry],
      }))
    : undefined;
  const last = new Map<string, CheckResult["status"]>();
  const record = (name: string, result: CheckResult) => {
    gauge?.set({ check: name }, result.status === "ok" ? 1 : 0);
    const before = last.get(name);
    last.set(name, result.status);
    if (result.status === "down" && before !== "down")
      deps.log?.warn("readiness check failed", {
        check: name,
        error: result.error,
        latencyMs: result.latencyMs,
      });
    else if (result.status === "ok" && before === "down")
      deps.log?.info("readiness check recovered", { check: name, latencyMs: result.latencyMs });
  };
  return async () => {
    const [postgres, redis] = await Promise.all([
      check(() => deps.sql`SELECT 1`),
      check(() => deps.store.ping()),
    ]);
    record("postgres", postgres);
    record("redis", redis);
    return {
      ready: postgres.status === "ok" && redis.status === "ok",
      checks: { postgres, redis: { ...redis, kind: deps.store.kind } },
    };
  };
}

/** Mounted under /api: liveness and the public readiness status. */
export function healthRoutes(deps: HealthDeps, run = readiness(deps)) {
  return new Hono<AppEnv>()
    .get("/health", (c) => c.json({ status: "ok" }))
    .get("/ready", async (c) => {
      const { ready } = await run();
      c.header("Cache-Control", "no-store");
      return c.json({ status: ready ? "ok" : "unavailable" }, ready ? 200 : 503);
    });
}

/** Mounted at the root, beside /metrics: the same check with every detail, for operators only. */
export function internalHealthRoutes(deps: HealthDeps, run = readiness(deps)) {
  return new Hono<AppEnv>().get(INTERNAL_READY_PATH, async (c) => {
    const { ready, checks } = await run();
    c.header("Cache-Control", "no-store");
    return c.json({ status: ready ? "ok" : "unavailable", checks }, ready ? 200 : 503);
  });
}

/** Both, sharing one check (one gauge, one transition log). */
export function createHealthRoutes(deps: HealthDeps) {
  const run = readiness(deps);
  return { api: healthRoutes(deps, run), internal: internalHealthRoutes(deps, run) };
}
