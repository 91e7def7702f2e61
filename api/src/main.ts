// Entry point. Subcommands:
//   serve        production: configuration required, migrations under an advisory lock (or, with
//                MIGRATE_ON_START=false, a check that none is pending), then listen
//   dev          like serve, but embedded PostgreSQL (PGlite) and an in-process store when no URLs are set
//   migrate      apply migrations and exit (a deploy runs it before starting new replicas)
//   healthcheck  GET /internal/ready on this host's PORT; exit 0 when ready, else 1 and the reason on
//                stdout (the engine keeps it as the probe output; for images without a shell).
//                `healthcheck --live`: GET /api/health, the process answers, whatever PostgreSQL and
//                Redis do (the Swarm stack: an orchestrator that kills unready tasks must not kill
//                every replica while the databases fail over)
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createSql, isDatabaseUnavailable, type Sql } from "./db/client.ts";
import { MigrationError, migrate, pendingMigrations } from "./db/migrate.ts";
import { INTERNAL_READY_PATH, LIVENESS_PATH } from "./health/routes.ts";
import { createLogger, errorFields, type Logger } from "./log.ts";
import { createRuntime } from "./runtime.ts";

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
function healthcheckUrl(env: Record<string, string | undefined>, path: string): string {
  const port = Number(env.PORT || 4000);
  const host = env.HOST?.trim();
  let target = "127.0.0.1";
  if (host && !["0.0.0.0", "::", "[::]"].includes(host))
    target = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${target}:${port}${path}`;
}

/** The readiness detail (internal addresses, error strings) goes to the probe output, never to the public. */
async function healthcheck(live: boolean): Promise<never> {
  const url = healthcheckUrl(process.env, live ? LIVENESS_PATH : INTERNAL_READY_PATH);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (response.ok) process.exit(0);
    const body = (await response.json().catch(() => null)) as {
      checks?: Record<string, { status?: string; error?: string }>;
    } | null;
    const down = Object.entries(body?.checks ?? {})
      .filter(([, check]) => check.status !== "ok")
      .map(([name, check]) => `${name}: ${check.error ?? check.status}`);
    process.stdout.write(`not ready (${response.status})${down.length ? `: ${down.join("; ")}` : ""}\n`);
  } catch (error) {
    process.stdout.write(`not ready: ${url}: ${(error as Error).message}\n`);
  }
  process.exit(1);
}

/** How long startup waits for PostgreSQL to accept connections (compose starts everything at once). */
const DATABASE_WAIT_MS = 60_000;

/** Runs a start-up step on PostgreSQL, retrying while PostgreSQL is not reachable yet; else refuses to start. */
async function whenReachable<T>(sql: Sql, log: Logger, what: string, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() - started > DATABASE_WAIT_MS)
        return refuseToStart(sql, log, error, what);
      log.warn("database not reachable yet; retrying", { attempt, reason: (error as Error).message });
      await Bun.sleep(Math.min(500 * attempt, 5000));
    }
  }
}

async function runMigrations(sql: Sql, log: Logger): Promise<string[]> {
  const applied = await whenReachable(sql, log, "cannot migrate", () => migrate(sql, undefined, { log }));
  if (applied.length > 0) log.info("migrations applied", { applied });
  return applied;
}

/** MIGRATE_ON_START=false: never migrate, and never serve on a schema this version's code does not know. */
async function requireCurrentSchema(sql: Sql, log: Logger): Promise<void> {
  const pending = await whenReachable(sql, log, "cannot check the database schema", () =>
    pendingMigrations(sql),
  );
  if (pending.length === 0) return;
  await refuseToStart(
    sql,
    log,
    new MigrationError(
      `the database schema is behind this version: ${pending.length} pending migration(s) (${pending.join(", ")}); MIGRATE_ON_START=false, so run \`taskplatform-api migrate\` first`,
    ),
  );
}

async function refuseToStart(sql: Sql, log: Logger, error: unknown, what = "cannot migrate"): Promise<never> {
  const reason = error instanceof MigrationError ? error.message : `${what}: ${(error as Error).message}`;
  log.error("refusing to start", { reason });
  await sql.end({ timeout: 1 }).catch(() => {});
  fail(reason);
}

async function serve(mode: "serve" | "dev"): Promise<void> {
  const readConfigured = readConfig(mode);
  // Generated before the runtime: the job worker derives the links it mails with it (auth/link-tokens.ts).
  const generatedSecret = !readConfigured.jwtSecret;
  const config = {
    ...readConfigured,
    jwtSecret:
      readConfigured.jwtSecret ??
      Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"),
  };
  const runtime = await createRuntime(config, {
    renewablePool: true,
    embeddedDataDir: join(config.dataDir, "pglite"),
    printMailLinks: mode === "dev",
  }).catch((error: unknown) => {
    // A configuration this build cannot serve (dev without DATABASE_URL in the executable).
    if (error instanceof ConfigError) fail(error.message, EXIT_CONFIG);
    throw error;
  });
  const { sql, log, hub, backends } = runtime;
  if (config.migrateOnStart) await runMigrations(sql, log);
  else await requireCurrentSchema(sql, log);

  // Redis commands fail fast until connected; give the first connection a moment, then serve regardless
  // (readiness reports Redis down until it comes).
  if (!(await runtime.storeReady(2000)))
    log.warn("redis not reachable yet; continuing, /api/ready reports it");

  const jwtSecret = config.jwtSecret;
  if (generatedSecret)
    backends.push(
      "JWT_SECRET: generated for this development run only; sign-ins and mailed links end when it restarts",
    );
  let staticDir = config.staticDir;
  if (!staticDir && mode === "dev") {
    const built = resolve(import.meta.dir, "../../web/dist");
    if (existsSync(join(built, "index.html"))) staticDir = built;
  }

  const app = createApp({ ...runtime, config: { ...config, jwtSecret, staticDir } });
  // Above nginx's upstream keepalive_timeout (60 s) so the proxy always closes idle connections first.
  const server = Bun.serve({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    idleTimeout: 75,
    // Bun's own cap (128 MB by default) must not undercut ATTACHMENTS_MAX_BYTES; the routes stream and
    // enforce the real limits (JSON: 1 MiB, http/body.ts; attachments: attachments/storage.ts).
    maxRequestBodySize: config.attachments.maxBytes + 1024 * 1024,
  });
  runtime.watchDatabase();
  // The job runner's first round comes one poll interval after listen, as every later one does: not
  // beside the first readiness checks, which a starting replica should answer first.
  const jobsStart = config.jobs.enabled
    ? setTimeout(() => runtime.jobs.start(), config.jobs.pollMs)
    : undefined;
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
    // SSE responses never end by themselves: end them first, or server.stop() waits out the grace.
    hub.close();
    // No new job starts; a running one finishes (or its lease hands it to another replica).
    clearTimeout(jobsStart);
    const jobsStopped = runtime.jobs.stop();
    const force = setTimeout(() => server.stop(true), SHUTDOWN_GRACE_MS);
    await server.stop();
    clearTimeout(force);
    await jobsStopped;
    await runtime.close();
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
  const applied = await runMigrations(sql, log);
  if (applied.length === 0) log.info("no pending migrations");
  await sql.end({ timeout: 5 });
}

// No top-level await: the compiled binary is built with --bytecode, which needs a module without it
// (precompiled bytecode saves ~80 ms of parsing at every start; docs/benchmarks.md).
async function main(command: string): Promise<void> {
  if (command === "healthcheck") await healthcheck(process.argv[3] === "--live");
  else if (command === "migrate") await migrateOnly();
  else if (command === "serve" || command === "dev") await serve(command);
  else fail(`unknown command "${command}" (serve, dev, migrate, healthcheck)`, EXIT_CONFIG);
}

main(process.argv[2] ?? "serve").catch((error: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", ...errorFields(error) })}\n`,
  );
  process.exit(1);
});
