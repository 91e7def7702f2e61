// Configuration: read once from the environment at startup, validated with zod.
// Every secret may come from NAME or NAME_FILE (a path), never both.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { PRIVATE_NETWORKS, parseCidr } from "./http/client-ip.ts";

export const SECRET_NAMES = [
  "DATABASE_URL",
  "DATABASE_PASSWORD",
  "REDIS_URL",
  "REDIS_PASSWORD",
  "REDIS_SENTINEL_PASSWORD",
  "JWT_SECRET",
  "SMTP_URL",
  "S3_SECRET_ACCESS_KEY",
] as const;

/** `serve` is production (everything required); `dev` fills gaps with embedded defaults. */
export type ConfigMode = "serve" | "dev";

export class ConfigError extends Error {}

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

// Which peers may set the client address through X-Forwarded-For: a list of addresses and CIDRs;
// `true` (what older configurations say) means loopback and the private networks, `false` nobody.
const trustedProxies = z.string().transform((value, ctx) => {
  const flag = value.trim().toLowerCase();
  if (["false", "0", "no"].includes(flag)) return [];
  if (["true", "1", "yes"].includes(flag)) return PRIVATE_NETWORKS;
  const entries = value.split(",").map((entry) => entry.trim());
  const bad = entries.find((entry) => !parseCidr(entry));
  if (bad === undefined) return entries;
  ctx.addIssue({
    code: "custom",
    message: `must be true, false or a comma-separated list of proxy addresses or CIDRs; "${bad.slice(0, 50)}" is neither`,
  });
  return z.NEVER;
});

// One host (anything URL accepts) or several (`postgres://u@pg1:5432,pg2:5432/db`, what postgres.js
// and libpq take for high availability), which URL itself refuses: the hosts are checked one by one.
const HOST_PORT = /^(?<host>[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252}))(?::(?<port>\d{1,5}))?$/;
const hostPort = (text: string) => {
  const match = HOST_PORT.exec(text);
  const port = Number(match?.groups?.port ?? "1");
  return match && port >= 1 && port <= 65535 ? match : undefined;
};
// What postgres.js accepts (it throws at start-up on anything else).
const SESSION_ATTRS = ["primary", "read-write", "read-only", "standby", "prefer-standby"];
const postgresUrl = z.string().transform((value, ctx) => {
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  const scheme = /^postgres(ql)?:\/\//.exec(value);
  if (!scheme) return fail("must be a postgres:// URL");
  const rest = value.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf("@");
  const hosts = authority.slice(at + 1).split(",");
  const single = `${scheme[0]}${authority.slice(0, at + 1)}${hosts[0]}${authorityEnd < 0 ? "" : rest.slice(authorityEnd)}`;
  if (!URL.canParse(single)) return fail("must be a postgres:// URL");
  const attrs = new URL(single).searchParams.get("target_session_attrs");
  if (attrs !== null && !SESSION_ATTRS.includes(attrs))
    return fail(`target_session_attrs must be one of ${SESSION_ATTRS.join(", ")}`);
  if (hosts.length === 1) return value;
  if (hosts.length > 16) return fail("at most 16 hosts");
  const bad = hosts.find((host) => !hostPort(host));
  if (bad !== undefined)
    return fail(`must list hosts as host:port,host:port; "${bad.slice(0, 50)}" is not a host:port`);
  // Without it postgres.js keeps the first host that answers, standby or not. (read-write judged a hot
  // standby writable in postgres.js 3.4.9: patches/postgres@3.4.9.patch fixes that.)
  if (attrs !== "primary" && attrs !== "read-write")
    return fail(
      `with several hosts, add ?target_session_attrs=primary (or read-write; got ${attrs === null ? "none" : `"${attrs.slice(0, 20)}"`})`,
    );
  return value;
});

// Sentinels as host:port,host:port (port 26379 when left out).
const sentinelList = z.string().transform((value, ctx) => {
  const entries = value.split(",").map((entry) => entry.trim());
  const parsed = entries.map(hostPort);
  const bad = entries.find((_, i) => !parsed[i]);
  if (bad !== undefined || entries.length > 16) {
    ctx.addIssue({
      code: "custom",
      message:
        bad === undefined
          ? "at most 16 sentinels"
          : `must be host:port,host:port; "${bad.slice(0, 50)}" is not a host:port`,
    });
    return z.NEVER;
  }
  return parsed.map((match) => ({
    host: match?.groups?.host ?? "",
    port: Number(match?.groups?.port ?? 26379),
  }));
});

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

// `Name <address>` or a bare address: one line (CR/LF would inject headers), at most 300 characters.
const mailFrom = z
  .string()
  .max(300)
  .regex(/^[^\r\n<>]*<[^\s<>@]+@[^\s<>@]+>$|^[^\s<>@]+@[^\s<>@]+$/, {
    message: "must be an address or Name <address> on one line",
  });

const schema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(4000),
    HOST: z.string().min(1).default("0.0.0.0"),
    DATABASE_URL: postgresUrl.optional(),
    DATABASE_PASSWORD: z.string().min(1).optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    REDIS_URL: z.url({ protocol: /^rediss?$/, message: "must be a redis:// URL" }).optional(),
    REDIS_PASSWORD: z.string().min(1).optional(),
    // High availability: the master's address comes from Sentinel; REDIS_URL then only gives credentials.
    REDIS_SENTINELS: sentinelList.optional(),
    REDIS_SENTINEL_NAME: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, {
        message: "must be 1-64 letters, digits, dots, dashes or underscores",
      })
      .default("taskplatform"),
    REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
    REDIS_KEY_PREFIX: z.string().default("tp:"),
    REDIS_COMMAND_TIMEOUT_MS: positiveInt(1000),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    STATIC_DIR: z.string().min(1).optional(),
    DATA_DIR: z.string().min(1).default(".data"),
    TRUST_PROXY: trustedProxies.default([]),
    ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
    REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
    CACHE_TTL_SECONDS: positiveInt(300),
    RATE_LIMIT_WINDOW_SECONDS: positiveInt(60),
    RATE_LIMIT_IP: positiveInt(1200),
    RATE_LIMIT_USER: positiveInt(600),
    RATE_LIMIT_AUTH_IP: positiveInt(30),
    RATE_LIMIT_CALENDAR_FEED: positiveInt(20),
    LOGIN_FAILURES_MAX: positiveInt(10),
    LOGIN_FAILURES_ACCOUNT_MAX: positiveInt(100),
    LOGIN_FAILURES_WINDOW_SECONDS: positiveInt(900),
    EVENTS_RETAINED: positiveInt(10_000),
    SSE_HEARTBEAT_SECONDS: positiveInt(15),
    // Open event streams per account, across replicas (every tab is one).
    SSE_STREAMS_PER_USER: positiveInt(10),
    // At most this many streams per process; never more than the file-descriptor limit allows
    // (events/limits.ts), so unset means "what the limit allows".
    SSE_STREAMS_MAX: z.coerce.number().int().positive().optional(),
    // false: serve/dev only check that the schema is current (a deploy step runs `migrate` first)
    MIGRATE_ON_START: booleanFlag.default(true),
    SMTP_URL: z.url({ protocol: /^smtps?$/, message: "must be an smtp:// or smtps:// URL" }).optional(),
    MAIL_FROM: mailFrom.default("TaskPlatform <taskplatform@localhost>"),
    PUBLIC_URL: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).optional(),
    MAIL_TIMEOUT_SECONDS: positiveInt(20),
    JOBS_ENABLED: booleanFlag.default(true),
    JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(2),
    JOBS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    JOBS_LEASE_SECONDS: positiveInt(120),
    // At least a week: longer than the overdue reminders look back (reminders/repository.ts), so a
    // finished reminder's key is still there when the scan sees its task again.
    JOBS_RETENTION_DAYS: z.coerce.number().int().min(7).max(3650).default(14),
    JOBS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
    SCHEDULER_INTERVAL_SECONDS: positiveInt(60),
    // Attachments (attachments/): where the bytes go, how big one may be, how much a project may hold.
    ATTACHMENTS_BACKEND: z.enum(["directory", "s3"]).default("directory"),
    ATTACHMENTS_DIR: z.string().min(1).optional(),
    ATTACHMENTS_MAX_BYTES: positiveInt(25 * 1024 * 1024),
    ATTACHMENTS_PROJECT_QUOTA_BYTES: positiveInt(1024 * 1024 * 1024),
    // An internal nginx location (e.g. /_attachments/) that serves ATTACHMENTS_DIR: downloads answer
    // with X-Accel-Redirect there once authorised, and nginx sends the bytes. Directory backend only.
    ATTACHMENTS_ACCEL_REDIRECT: z
      .string()
      .regex(/^\/[A-Za-z0-9_-]+\/$/, { message: "must be a location like /_attachments/" })
      .optional(),
    S3_BUCKET: z.string().min(1).optional(),
    S3_REGION: z.string().min(1).default("us-east-1"),
    S3_ENDPOINT: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).optional(),
    S3_FORCE_PATH_STYLE: booleanFlag.default(false),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    // The UTC hour from which each day's digests go out (0: from midnight).
    DIGEST_HOUR_UTC: z.coerce.number().int().min(0).max(23).default(7),
  })
  // A lease shorter than a send could let a second replica start the same mail while the first still
  // waits for the SMTP server (docs/architecture.md, "Mail and background jobs").
  .refine((env) => env.JOBS_LEASE_SECONDS >= 2 * env.MAIL_TIMEOUT_SECONDS + 5, {
    path: ["JOBS_LEASE_SECONDS"],
    message: "must be at least 2 × MAIL_TIMEOUT_SECONDS + 5",
  })
  .refine((env) => !env.REDIS_SENTINELS || !env.REDIS_URL?.startsWith("rediss:"), {
    path: ["REDIS_URL"],
    message: "rediss:// (TLS) is not supported together with REDIS_SENTINELS",
  })
  .refine((env) => env.ATTACHMENTS_BACKEND !== "s3" || env.S3_BUCKET, {
    path: ["S3_BUCKET"],
    message: "is required when ATTACHMENTS_BACKEND=s3",
  })
  .refine((env) => env.ATTACHMENTS_BACKEND !== "s3" || !env.ATTACHMENTS_ACCEL_REDIRECT, {
    path: ["ATTACHMENTS_ACCEL_REDIRECT"],
    message: "only works with ATTACHMENTS_BACKEND=directory (nginx reads the files)",
  })
  // The names the code uses. Config is the type of what this returns: no hand-kept interface.
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    databasePassword: env.DATABASE_PASSWORD,
    databasePoolMax: env.DATABASE_POOL_MAX,
    redisUrl: env.REDIS_URL,
    redisPassword: env.REDIS_PASSWORD,
    /** Set: connect through these Sentinels to the master named redisSentinelName (store/redis.ts). */
    redisSentinels: env.REDIS_SENTINELS,
    redisSentinelName: env.REDIS_SENTINEL_NAME,
    redisSentinelPassword: env.REDIS_SENTINEL_PASSWORD,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    jwtSecret: env.JWT_SECRET,
    logLevel: env.LOG_LEVEL,
    staticDir: env.STATIC_DIR,
    dataDir: env.DATA_DIR,
    /** Addresses and CIDRs of proxies whose X-Forwarded-For is believed (empty: none). */
    trustedProxies: env.TRUST_PROXY,
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_DAYS * 86_400,
    cacheTtlSeconds: env.CACHE_TTL_SECONDS,
    rateLimit: {
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      ip: env.RATE_LIMIT_IP,
      user: env.RATE_LIMIT_USER,
      authIp: env.RATE_LIMIT_AUTH_IP,
      /** Fetches of one calendar feed per window (calendar apps poll every few minutes at most). */
      calendarFeed: env.RATE_LIMIT_CALENDAR_FEED,
    },
    /** Failed sign-ins per window: `max` per account and address and per address, `accountMax` per account. */
    loginFailures: {
      max: env.LOGIN_FAILURES_MAX,
      accountMax: env.LOGIN_FAILURES_ACCOUNT_MAX,
      windowSeconds: env.LOGIN_FAILURES_WINDOW_SECONDS,
    },
    eventsRetained: env.EVENTS_RETAINED,
    sseHeartbeatSeconds: env.SSE_HEARTBEAT_SECONDS,
    sseStreamsPerUser: env.SSE_STREAMS_PER_USER,
    sseStreamsMax: env.SSE_STREAMS_MAX,
    migrateOnStart: env.MIGRATE_ON_START,
    mail: {
      /** undefined: messages are written as .eml files under DATA_DIR/mail (mail/file.ts). */
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      timeoutMs: env.MAIL_TIMEOUT_SECONDS * 1000,
    },
    /** Daily digests are queued from this UTC hour on (notification-mail/repository.ts). */
    digestHourUtc: env.DIGEST_HOUR_UTC,
    /** Base of every link in a mail, without a trailing slash. */
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ""),
    jobs: {
      enabled: env.JOBS_ENABLED,
      concurrency: env.JOBS_CONCURRENCY,
      pollMs: env.JOBS_POLL_MS,
      leaseSeconds: env.JOBS_LEASE_SECONDS,
      retentionDays: env.JOBS_RETENTION_DAYS,
      retryBaseMs: env.JOBS_RETRY_BASE_MS,
      schedulerIntervalSeconds: env.SCHEDULER_INTERVAL_SECONDS,
    },
    attachments: {
      backend: env.ATTACHMENTS_BACKEND,
      dir: env.ATTACHMENTS_DIR ?? `${env.DATA_DIR}/attachments`,
      maxBytes: env.ATTACHMENTS_MAX_BYTES,
      projectQuotaBytes: env.ATTACHMENTS_PROJECT_QUOTA_BYTES,
      accelRedirect: env.ATTACHMENTS_ACCEL_REDIRECT,
      s3: {
        bucket: env.S3_BUCKET ?? "",
        region: env.S3_REGION,
        endpoint: env.S3_ENDPOINT,
        forcePathStyle: env.S3_FORCE_PATH_STYLE,
        accessKeyId: env.S3_ACCESS_KEY_ID,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      },
    },
  }));

export type Config = z.output<typeof schema>;

type Env = Record<string, string | undefined>;

/** Replaces NAME_FILE by the file's content (trailing newline removed). */
export function resolveSecretFiles(env: Env): Env {
  const resolved: Env = { ...env };
  for (const name of SECRET_NAMES) {
    const fileVar = `${name}_FILE`;
    const path = env[fileVar];
    if (path === undefined || path === "") continue;
    if (env[name] !== undefined && env[name] !== "") {
      throw new ConfigError(`${name} and ${fileVar} are both set; set only one`);
    }
    try {
      resolved[name] = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new ConfigError(
        `${fileVar}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    delete resolved[fileVar];
  }
  return resolved;
}

export function loadConfig(env: Env, mode: ConfigMode): Config {
  const withSecrets = resolveSecretFiles(env);
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(withSecrets).filter(([, value]) => value !== ""));
  // Parsed once per process: zod's compiled fast path (new Function) would cost more to build than it saves.
  const parsed = schema.safeParse(cleaned, { jitless: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join(".") ?? "config"}: ${issue?.message ?? "invalid"}`);
  }
  if (mode === "serve") {
    for (const name of ["DATABASE_URL", "REDIS_URL", "JWT_SECRET"] as const) {
      if (name === "REDIS_URL" && parsed.data.redisSentinels) continue;
      if (cleaned[name] === undefined) throw new ConfigError(`${name}: required (or ${name}_FILE)`);
    }
  }
  return parsed.data;
}
