// The backends one API instance runs on, built from the configuration in one place: the PostgreSQL
// pool (or embedded PGlite), the store (Redis or in-process), metrics, the log, the event hub, the
// mailer (SMTP or .eml files) and the job runner (started by main.ts once it listens).
// serve, dev and the test harness all start here, so a new backend (mail, blob storage, jobs) or a new
// way to reach one (multi-host PostgreSQL, Redis Sentinel) is added once, with its place in close().

import { hostname } from "node:os";
import { join } from "node:path";
import { UPLOAD_FAILURE_REASONS } from "./attachments/service.ts";
import { type BlobStore, createBlobStore } from "./attachments/storage.ts";
import { type Config, ConfigError } from "./config.ts";
import { createSql, type Sql } from "./db/client.ts";
import { replaceablePool } from "./db/pool.ts";
import { createEventHub, type EventHub } from "./events/hub.ts";
import { createPublisher } from "./events/publisher.ts";
import { jobHandlers, schedules } from "./jobs/registry.ts";
import { createJobRunner, type JobRunner } from "./jobs/worker.ts";
import { createLogger, type Logger } from "./log.ts";
import { createFileMailer } from "./mail/file.ts";
import { MAIL_KINDS, type Mailer } from "./mail/mail.ts";
import { createSmtpMailer } from "./mail/smtp.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createMemoryStore } from "./store/memory.ts";
import { createRedisStore } from "./store/redis.ts";
import type { Store } from "./store/store.ts";

export interface RuntimeOptions {
  /** Default: JSON lines on stdout at LOG_LEVEL. */
  log?: Logger;
  /**
   * The pool that renews itself when postgres.js breaks a connection (db/pool.ts). It installs
   * process-wide handlers, so only a process with a single runtime (serve, dev) asks for it.
   */
  renewablePool?: boolean;
  /** Where embedded PGlite keeps its data when DATABASE_URL is unset; without one, in memory. */
  embeddedDataDir?: string;
  /** Default: logged at debug (readiness reports Redis down, with the reason, on its own). */
  onRedisError?: (error: Error) => void;
  /** Without SMTP_URL: print each mail's link to the console (dev only: links may carry tokens). */
  printMailLinks?: boolean;
}

export interface Runtime {
  sql: Sql;
  store: Store;
  metrics: Metrics;
  log: Logger;
  hub: EventHub;
  mailer: Mailer;
  /** Attachment bytes: a directory or an S3 bucket (attachments/storage.ts). */
  blobs: BlobStore;
  /** Background jobs and the scheduler: not running until jobs.start() (main.ts, a poll interval after listen). */
  jobs: JobRunner;
  /** One line per backend chosen, for the start-up log and the dev banner. */
  backends: string[];
  /** Resolves true once the store can take commands (Redis connected), false after timeoutMs. */
  storeReady(timeoutMs: number): Promise<boolean>;
  /**
   * Starts the renewable pool's watchdog. Called once the process listens: start-up has its own
   * retries. Embedded PGlite serves one connection at a time and never restarts under us: no watchdog.
   */
  watchDatabase(): void;
  /**
   * Stops the job runner (waiting briefly for running jobs), ends SSE subscriptions, then the mailer,
   * the pool, the store and last the embedded database the pool used.
   */
  close(): Promise<void>;
}

interface Database {
  sql: Sql;
  watch(): void;
  description: string;
  stop(): Promise<void>;
}

async function openDatabase(
  config: Config,
  metrics: Metrics,
  log: Logger,
  options: RuntimeOptions,
): Promise<Database> {
  const pool = (url: string, max: number) => {
    const connect = () => createSql({ url, password: config.databasePassword, max, metrics });
    return options.renewablePool ? replaceablePool(connect, log) : { sql: connect(), watch() {} };
  };
  if (config.databaseUrl) {
    return {
      ...pool(config.databaseUrl, config.databasePoolMax),
      description: "database: PostgreSQL from DATABASE_URL",
      stop: async () => {},
    };
  }
  // Imported on demand: PGlite is for development from a checkout, and the compiled executable leaves
  // it out (api/package.json `build`: --external), which keeps it out of the production process's memory.
  const { startEmbeddedPostgres, EMBEDDED_POOL_MAX } = await import("./db/embedded.ts").catch(
    (error: unknown) => {
      if (String((error as Error)?.message).includes("@electric-sql/pglite"))
        throw new ConfigError(
          "embedded PostgreSQL is only in the source tree (bun run dev); set DATABASE_URL",
        );
      throw error;
    },
  );
  const embedded = await startEmbeddedPostgres(options.embeddedDataDir);
  return {
    sql: pool(embedded.url, EMBEDDED_POOL_MAX).sql,
    watch() {},
    description: `database: embedded PGlite in ${options.embeddedDataDir ?? "memory"} (set DATABASE_URL for PostgreSQL)`,
    stop: embedded.stop,
  };
}

function openStore(config: Config, log: Logger, options: RuntimeOptions) {
  if (config.redisUrl || config.redisSentinels) {
    const store = createRedisStore({
      url: config.redisUrl,
      password: config.redisPassword,
      sentinels: config.redisSentinels,
      sentinelName: config.redisSentinelName,
      sentinelPassword: config.redisSentinelPassword,
      keyPrefix: config.redisKeyPrefix,
      eventsRetained: config.eventsRetained,
      commandTimeoutMs: config.redisCommandTimeoutMs,
      onError: options.onRedisError ?? ((error) => log.debug("redis error", { reason: error.message })),
    });
    const description = config.redisSentinels
      ? `store: Redis master ${config.redisSentinelName} through ${config.redisSentinels.length} Sentinels (REDIS_SENTINELS)`
      : "store: Redis from REDIS_URL";
    return { store, ready: store.ready, description };
  }
  return {
    store: createMemoryStore({ eventsRetained: config.eventsRetained }),
    ready: async () => true,
    description: "store: in-process memory (set REDIS_URL for Redis; sessions end with the process)",
  };
}

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const database = await openDatabase(config, metrics, log, options);
  const { store, ready, description } = openStore(config, log, options);
  const hub = createEventHub(store, log);
  const mailer = config.mail.smtpUrl
    ? createSmtpMailer({ url: config.mail.smtpUrl, timeoutMs: config.mail.timeoutMs })
    : createFileMailer({ dir: join(config.dataDir, "mail"), printLinks: options.printMailLinks ?? false });
  const blobs = createBlobStore(config.attachments);
  const background = {
    sql: database.sql,
    mailer,
    blobs,
    config,
    metrics,
    log,
    publish: createPublisher(store, log),
  };
  // Every kind's mail series from the start (at 0): the delivery alert and the panels see them at once.
  for (const kind of MAIL_KINDS) {
    metrics.mailSent.inc({ kind }, 0);
    for (const reason of ["temporary", "permanent"]) metrics.mailFailed.inc({ kind, reason }, 0);
  }
  for (const reason of UPLOAD_FAILURE_REASONS) metrics.attachmentUploadFailures.inc({ reason }, 0);
  for (const direction of ["upload", "download"]) metrics.attachmentBytes.inc({ direction }, 0);
  for (const reason of ["user", "process"]) metrics.sseRejected.inc({ reason }, 0);
  const jobs = createJobRunner({
    sql: database.sql,
    log,
    metrics,
    handlers: jobHandlers(background),
    schedules: schedules(background),
    workerId: `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`,
    concurrency: config.jobs.concurrency,
    pollMs: config.jobs.pollMs,
    leaseSeconds: config.jobs.leaseSeconds,
    schedulerIntervalMs: config.jobs.schedulerIntervalSeconds * 1000,
    retryBaseMs: config.jobs.retryBaseMs,
  });
  return {
    sql: database.sql,
    store,
    metrics,
    log,
    hub,
    mailer,
    blobs,
    jobs,
    backends: [
      database.description,
      description,
      mailer.description,
      blobs.description,
      config.jobs.enabled ? "jobs: worker and scheduler on" : "jobs: off (JOBS_ENABLED=false)",
    ],
    storeReady: ready,
    watchDatabase: database.watch,
    async close() {
      await jobs.stop();
      hub.close();
      mailer.close();
      await database.sql.end({ timeout: 5 }).catch(() => {});
      await store.close().catch(() => {});
      await database.stop().catch(() => {});
    },
  };
}
