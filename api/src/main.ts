// Entry point. Subcommands:
//   serve        production: configuration required, migrations under an advisory lock, then listen
//   dev          like serve, but embedded PostgreSQL (PGlite) and an in-process store when no URLs are set
//   migrate      apply migrations and exit
//   healthcheck  GET /api/ready on this host's PORT; exit 0 when ready (for images without a shell)
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createSql, isDatabaseUnavailable, type Sql } from "./db/client.ts";
import { MigrationError, migrate } from "./db/migrate.ts";
import { createEventHub } from "./events/hub.ts";
import { createLogger, errorFields, type Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { createMemoryStore } from "./store/memory.ts";
import { createRedisStore } from "./store/redis.ts";
import type { Store } from "./store/store.ts";

const EXIT_CONFIG = 2;
const SHUTDOWN_GRACE_MS = 10_000;

function fail(message: string, code = 1): never {
  process.stderr.write(`taskplatform-api: ${message}\n`);
  process.exit(code);
}

function readConfig(mode: "serve" | "dev"): Config {
  try {
    return loadConfig(process.env, mode);
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`, EXIT_CONFIG);
    throw error;
  }
}

/** Where `healthcheck` finds this host's API: loopback when it listens on every address, else HOST. */
function healthcheckUrl(env: Record<string, string | undefined>): string {
  const port = Number(env.PORT || 4000);
  const host = env.HOST?.trim();
  let target = "127.0.0.1";
  if (host && !["0.0.0.0", "::", "[::]"].includes(host))
    target = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${target}:${port}/api/ready`;
}

async function healthcheck(): Promise<never> {
  try {
    const response = await fetch(healthcheckUrl(process.env), { signal: AbortSignal.timeout(3000) });
    process.exit(response.ok ? 0 : 1);
  } catch {
    process.exit(1);
  }
}

/** How long startup waits for PostgreSQL to accept connections (compose starts everything at once). */
const DATABASE_WAIT_MS = 60_000;

async function runMigrations(sql: Sql, log: Logger): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await migrate(sql);
      if (applied.length > 0) log.info("migrations applied", { applied });
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() - started > DATABASE_WAIT_MS)
        return refuseToStart(sql, log, error);
      log.warn("database not reachable yet; retrying", { attempt, reason: (error as Error).message });
      await Bun.sleep(Math.min(500 * attempt, 5000));
    }
  }
}

async function refuseToStart(sql: Sql, log: Logger, error: unknown): Promise<never> {
  const reason =
    error instanceof MigrationError ? error.message : `cannot migrate: ${(error as Error).message}`;
  log.error("refusing to start", { reason });
  await sql.end({ timeout: 1 }).catch(() => {});
  fail(reason);
}

/**
 * postgres.js waits an exponential backoff (up to 20 s) before it reconnects a closed connection, and a
 * query handed to that connection waits with it: while PostgreSQL is down, requests would hang for
 * seconds instead of answering 503. A flat 0.1 s keeps them fast; `backoff` in the URL's query is a
 * postgres.js option (never sent to the server), and an operator's own value wins.
 */
function fastReconnect(url: string): string {
  if (/[?&]backoff=/.test(url)) return url;
  return `${url}${url.includes("?") ? "&" : "?"}backoff=0.1`;
}

/**
 * postgres.js 3.4 on Bun mishandles a connection that PostgreSQL closes while a write is pending (a
 * transaction's ROLLBACK after a fast shutdown, say): the write fires on a socket that is gone, which
 * throws from a setImmediate (an uncaught TypeError that would end the process), and the connection
 * keeps a stale write buffer, so every later reconnect of that pool slot times out (CONNECT_TIMEOUT)
 * forever: after PostgreSQL restarts, requests hang for connect_timeout and fail, and can pile up.
 * Until postgres.js is patched (see docs/events-health.md), the pool sits behind a proxy and is
 * replaced by a fresh one (a) on that uncaught error, (b) when a watchdog (SELECT 1 every 0.5 s, from
 * the moment the API listens) first gets a connection-level error and (c) when PostgreSQL answers again.
 * Queries still running on a replaced pool get 5 s, then fail (503).
 * Any other uncaught exception still ends the process.
 */
function replaceablePool(make: () => Sql, log: Logger): { sql: Sql; watch(): void } {
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
        const state = await probe(() => pool`SELECT 1`, 3000);
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
            await fresh`SELECT 1`;
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

async function serve(mode: "serve" | "dev"): Promise<void> {
  const config = readConfig(mode);
  const log = createLogger(config.logLevel);
  const metrics = createMetrics();
  const cleanups: Array<() => Promise<void>> = [];
  const backends: string[] = [];

  let databaseUrl = config.databaseUrl;
  let poolMax = config.databasePoolMax;
  if (!databaseUrl) {
    const { startEmbeddedPostgres, EMBEDDED_POOL_MAX } = await import("./db/embedded.ts");
    const embedded = await startEmbeddedPostgres(join(config.dataDir, "pglite"));
    cleanups.push(embedded.stop);
    databaseUrl = embedded.url;
    poolMax = EMBEDDED_POOL_MAX;
    backends.push(
      `database: embedded PGlite in ${join(config.dataDir, "pglite")} (set DATABASE_URL for PostgreSQL)`,
    );
  } else {
    backends.push("database: PostgreSQL from DATABASE_URL");
  }
  const poolUrl = fastReconnect(databaseUrl);
  const pool = replaceablePool(
    () => createSql({ url: poolUrl, password: config.databasePassword, max: poolMax, metrics }),
    log,
  );
  const sql = pool.sql;
  await runMigrations(sql, log);

  let store: Store;
  if (config.redisUrl) {
    const redisStore = createRedisStore({
      url: config.redisUrl,
      password: config.redisPassword,
      keyPrefix: config.redisKeyPrefix,
      eventsRetained: config.eventsRetained,
      commandTimeoutMs: config.redisCommandTimeoutMs,
      onError: (error) => log.debug("redis error", { reason: error.message }),
    });
    // Commands fail fast until connected; give the first connection a moment, then serve regardless
    // (readiness reports Redis down until it comes).
    if (!(await redisStore.ready(2000)))
      log.warn("redis not reachable yet; continuing, /api/ready reports it");
    store = redisStore;
    backends.push("store: Redis from REDIS_URL");
  } else {
    store = createMemoryStore({ eventsRetained: config.eventsRetained });
    backends.push("store: in-process memory (set REDIS_URL for Redis; sessions end with the process)");
  }

  let jwtSecret = config.jwtSecret;
  if (!jwtSecret) {
    jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    backends.push("JWT_SECRET: generated for this development run only; sign-ins end when it restarts");
  }
  let staticDir = config.staticDir;
  if (!staticDir && mode === "dev") {
    const built = resolve(import.meta.dir, "../../web/dist");
    if (existsSync(join(built, "index.html"))) staticDir = built;
  }

  const hub = createEventHub(store, log);
  const app = createApp({ sql, store, metrics, log, hub, config: { ...config, jwtSecret, staticDir } });
  // Above nginx's upstream keepalive_timeout (60 s) so the proxy always closes idle connections first.
  const server = Bun.serve({ fetch: app.fetch, port: config.port, hostname: config.host, idleTimeout: 75 });
  // Embedded PGlite serves one connection at a time and never restarts under us: no watchdog there.
  if (config.databaseUrl) pool.watch();
  log.info("listening", { url: `http://${config.host}:${server.port}`, mode, backends });
  if (mode === "dev") {
    process.stdout.write(
      `\nTaskPlatform (development) on http://localhost:${server.port}\n${backends.map((b) => `  ${b}`).join("\n")}\n`,
    );
    if (!staticDir) process.stdout.write("  web: not built yet (bun run --cwd web build)\n");
    process.stdout.write("\n");
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    hub.close();
    const force = setTimeout(() => server.stop(true), SHUTDOWN_GRACE_MS);
    await server.stop();
    clearTimeout(force);
    await sql.end({ timeout: 5 }).catch(() => {});
    await store.close().catch(() => {});
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function migrateOnly(): Promise<void> {
  const config = readConfig("dev");
  if (!config.databaseUrl)
    fail("invalid configuration: DATABASE_URL: required (or DATABASE_URL_FILE)", EXIT_CONFIG);
  const log = createLogger(config.logLevel);
  const sql = createSql({ url: config.databaseUrl, password: config.databasePassword, max: 1 });
  await runMigrations(sql, log);
  await sql.end({ timeout: 5 });
}

const command = process.argv[2] ?? "serve";
try {
  if (command === "healthcheck") await healthcheck();
  else if (command === "migrate") await migrateOnly();
  else if (command === "serve" || command === "dev") await serve(command);
  else fail(`unknown command "${command}" (serve, dev, migrate, healthcheck)`, EXIT_CONFIG);
} catch (error) {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", ...errorFields(error) })}\n`,
  );
  process.exit(1);
}
