// Liveness (no I/O, always fast) and readiness (PostgreSQL and the store, each with a 1 s timeout).
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/context.ts";

const CHECK_TIMEOUT_MS = 1000;

async function check(
  run: () => Promise<unknown>,
): Promise<{ status: "ok" | "down"; latencyMs: number; error?: string }> {
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

export function healthRoutes(deps: Pick<Deps, "sql" | "store">) {
  return new Hono<AppEnv>()
    .get("/health", (c) => c.json({ status: "ok" }))
    .get("/ready", async (c) => {
      const [postgres, redis] = await Promise.all([
        check(() => deps.sql`SELECT 1`),
        check(() => deps.store.ping()),
      ]);
      const ready = postgres.status === "ok" && redis.status === "ok";
      c.header("Cache-Control", "no-store");
      return c.json(
        {
          status: ready ? "ok" : "unavailable",
          checks: { postgres, redis: { ...redis, kind: deps.store.kind } },
        },
        ready ? 200 : 503,
      );
    });
}
