// A PostgreSQL pool that survives postgres.js 3.4's broken-connection bug on Bun (see below).
import { errorFields, type Logger } from "../log.ts";
import { isDatabaseUnavailable, type Sql } from "./client.ts";

/**
 * postgres.js 3.4 on Bun mishandles a connection that PostgreSQL closes while a write is pending (a
 * transaction's ROLLBACK after a fast shutdown, say): the write fires on a socket that is gone, which
 * throws from a setImmediate (an uncaught TypeError that would end the process), and the connection
 * keeps a stale write buffer, so every later reconnect of that pool slot times out (CONNECT_TIMEOUT)
 * forever: after PostgreSQL restarts, requests hang for connect_timeout and fail, and can pile up.
 * Until postgres.js is patched (see docs/events-health.md), the pool sits behind a proxy and is
 * replaced by a fresh one (a) on that uncaught error, (b) when a watchdog (a query every 0.5 s, from
 * the moment the API listens) first gets a connection-level error and (c) when PostgreSQL answers again.
 * Queries still running on a replaced pool get 5 s, then fail (503).
 * Any other uncaught exception still ends the process.
 */
/**
 * The watchdog's check: a query, and the node must not be in recovery. A connection left on a node that
 * Patroni demoted (or a standby) would fail every write with 25006: that counts as a connection-level
 * failure, so the pool is renewed and its new connections find the primary (target_session_attrs).
 */
async function onPrimary(sql: Sql): Promise<void> {
  const [row] = await sql<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`;
  if (row?.standby) throw Object.assign(new Error("connected to a PostgreSQL standby"), { code: "25006" });
}

export function replaceablePool(make: () => Sql, log: Logger): { sql: Sql; watch(): void } {
  let current = make();
  const renew = (reason: string) => {
    const broken = current;
    current = make();
    log.warn("database connection pool renewed", { reason });
    // Queries still running on the old pool get a moment; broken connections are destroyed after it.
    void broken.end({ timeout: 5 }).catch(() => {});
  };
  /** "down" only for connection-level failures; no answer in time proves nothing (a busy host). */
  const probe = async (run: () => Promise<unknown>, ms: number): Promise<"ok" | "down" | "slow"> => {
    let timer: Timer | undefined;
    try {
      return await Promise.race([
        run().then(() => "ok" as const),
        new Promise<"slow">((resolve) => {
          timer = setTimeout(() => resolve("slow"), ms);
        }),
      ]);
    } catch (error) {
      return isDatabaseUnavailable(error) ? "down" : "slow";
    } finally {
      clearTimeout(timer);
    }
  };

  let watchdog: Timer | undefined;
  const watch = () => {
    let suspect = false;
    let busy = false;
    watchdog = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const pool = current;
        const state = await probe(() => onPrimary(pool), 3000);
        if (state === "down" && !suspect) {
          // Connections that were open when PostgreSQL went away may be the broken kind: drop them now
          // (queries then fail fast with ECONNREFUSED), and once more when PostgreSQL answers again.
          suspect = true;
          renew("database check failed");
          return;
        }
        if (!suspect) return;
        // A fresh connection tells "PostgreSQL is down" from "this pool's connections are broken".
        let fresh: Sql | undefined;
        const reachable =
          state === "ok" ||
          (await probe(async () => {
            fresh = make();
            await onPrimary(fresh);
          }, 3000)) === "ok";
        void fresh?.end({ timeout: 0 }).catch(() => {});
        if (reachable && pool === current) {
          suspect = false;
          renew("PostgreSQL is reachable again");
        }
      } finally {
        busy = false;
      }
    }, 500);
    watchdog.unref?.();
  };

  process.on("uncaughtException", (error) => {
    const fromPostgresJs =
      error instanceof TypeError &&
      (/postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? "") ||
        /evaluating 'socket\.write'/.test(error.message));
    if (!fromPostgresJs) {
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", ...errorFields(error) })}\n`,
      );
      process.exit(1);
    }
    renew(`a connection broke mid-write (${error.message})`);
  });
  // A pool closed while postgres.js still had an internal query pending on it (its type lookup on a
  // fresh connection has no catch) rejects with a connection error nobody awaits; under Bun that would
  // end the process. Those are expected when pools are swapped; anything else is still fatal.
  process.on("unhandledRejection", (reason) => {
    if (isDatabaseUnavailable(reason)) {
      log.warn("abandoned database connection failed", { reason: (reason as Error).message });
      return;
    }
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", ...errorFields(reason) })}\n`,
    );
    process.exit(1);
  });

  const sql = new Proxy(() => {}, {
    apply: (_target, _this, args) => Reflect.apply(current as unknown as () => unknown, current, args),
    get: (_target, property) => {
      if (property === "end") {
        return (endOptions?: { timeout?: number }) => {
          clearInterval(watchdog);
          return current.end(endOptions);
        };
      }
      const value = Reflect.get(current, property, current);
      return typeof value === "function" ? value.bind(current) : value;
    },
  }) as unknown as Sql;
  return { sql, watch };
}
