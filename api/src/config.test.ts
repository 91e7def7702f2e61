import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, SECRET_NAMES } from "./config.ts";
import { PRIVATE_NETWORKS } from "./http/client-ip.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

const production = {
  DATABASE_URL: "postgres://app@db:5432/tasks",
  REDIS_URL: "redis://cache:6379/0",
  JWT_SECRET: "x".repeat(32),
};

const errorOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("loadConfig", () => {
  test("defaults", () => {
    const config = loadConfig(production, "serve");
    expect(config.port).toBe(4000);
    expect(config.logLevel).toBe("info");
    expect(config.trustedProxies).toEqual([]);
    expect(config.accessTokenTtlSeconds).toBe(900);
    expect(config.rateLimit).toEqual({
      windowSeconds: 60,
      ip: 1200,
      user: 600,
      authIp: 30,
      calendarFeed: 20,
    });
  });

  test("serve requires the database, Redis and the JWT secret; dev does not", () => {
    expect(errorOf(() => loadConfig({ ...production, DATABASE_URL: undefined }, "serve"))).toBe(
      "DATABASE_URL: required (or DATABASE_URL_FILE)",
    );
    expect(errorOf(() => loadConfig({ ...production, REDIS_URL: "" }, "serve"))).toStartWith("REDIS_URL");
    expect(errorOf(() => loadConfig({ ...production, JWT_SECRET: undefined }, "serve"))).toStartWith(
      "JWT_SECRET",
    );
    expect(loadConfig({}, "dev").databaseUrl).toBeUndefined();
  });

  test("invalid values name the variable and the problem", () => {
    expect(errorOf(() => loadConfig({ ...production, PORT: "abc" }, "serve"))).toStartWith("PORT:");
    expect(errorOf(() => loadConfig({ ...production, PORT: "70000" }, "serve"))).toStartWith("PORT:");
    expect(errorOf(() => loadConfig({ ...production, JWT_SECRET: "short" }, "serve"))).toBe(
      "JWT_SECRET: must be at least 32 characters",
    );
    expect(errorOf(() => loadConfig({ ...production, DATABASE_URL: "mysql://x" }, "serve"))).toStartWith(
      "DATABASE_URL:",
    );
    expect(errorOf(() => loadConfig({ ...production, LOG_LEVEL: "loud" }, "serve"))).toStartWith(
      "LOG_LEVEL:",
    );
    expect(errorOf(() => loadConfig({ ...production, TRUST_PROXY: "maybe" }, "serve"))).toBe(
      'TRUST_PROXY: must be true, false or a comma-separated list of proxy addresses or CIDRs; "maybe" is neither',
    );
    expect(errorOf(() => loadConfig({ ...production, TRUST_PROXY: "10.0.0.0/33" }, "serve"))).toStartWith(
      "TRUST_PROXY:",
    );
  });

  test("mail and jobs: defaults, TLS per URL scheme, MAIL_FROM on one line, a lease longer than a send", () => {
    const config = loadConfig(production, "serve");
    expect(config.mail).toEqual({
      smtpUrl: undefined,
      from: "TaskPlatform <taskplatform@localhost>",
      timeoutMs: 20_000,
    });
    expect(config.publicUrl).toBe("http://localhost:4000");
    expect(config.jobs).toMatchObject({
      enabled: true,
      concurrency: 2,
      leaseSeconds: 120,
      retentionDays: 14,
    });
    const custom = loadConfig(
      {
        ...production,
        SMTP_URL: "smtps://u:p@mail.example",
        PUBLIC_URL: "https://tasks.example/",
        MAIL_FROM: "Tasks <t@x.example>",
      },
      "serve",
    );
    expect(custom.mail.smtpUrl).toBe("smtps://u:p@mail.example");
    expect(custom.publicUrl).toBe("https://tasks.example");
    expect(errorOf(() => loadConfig({ ...production, SMTP_URL: "http://mail.example" }, "serve"))).toBe(
      "SMTP_URL: must be an smtp:// or smtps:// URL",
    );
    expect(
      errorOf(() => loadConfig({ ...production, MAIL_FROM: "A <a@x.example>\r\nBcc: b@x" }, "serve")),
    ).toBe("MAIL_FROM: must be an address or Name <address> on one line");
    expect(errorOf(() => loadConfig({ ...production, PUBLIC_URL: "javascript:alert(1)" }, "serve"))).toBe(
      "PUBLIC_URL: must be an http:// or https:// URL",
    );
    expect(
      errorOf(() =>
        loadConfig({ ...production, MAIL_TIMEOUT_SECONDS: "60", JOBS_LEASE_SECONDS: "60" }, "serve"),
      ),
    ).toBe("JOBS_LEASE_SECONDS: must be at least 2 × MAIL_TIMEOUT_SECONDS + 5");
    expect(errorOf(() => loadConfig({ ...production, JOBS_RETENTION_DAYS: "2" }, "serve"))).toContain(
      "JOBS_RETENTION_DAYS",
    );
  });

  test("attachments: a directory under DATA_DIR, 25 MB per file, 1 GB per project; S3 needs a bucket and no accel", () => {
    const defaults = loadConfig({ ...production, DATA_DIR: "/srv/tp" }, "serve").attachments;
    expect(defaults).toMatchObject({
      backend: "directory",
      dir: "/srv/tp/attachments",
      maxBytes: 25 * 1024 * 1024,
      projectQuotaBytes: 1024 * 1024 * 1024,
      accelRedirect: undefined,
    });
    const s3 = loadConfig(
      {
        ...production,
        ATTACHMENTS_BACKEND: "s3",
        S3_BUCKET: "files",
        S3_ENDPOINT: "https://s3.example",
        S3_FORCE_PATH_STYLE: "true",
      },
      "serve",
    ).attachments.s3;
    expect(s3).toMatchObject({
      bucket: "files",
      endpoint: "https://s3.example",
      forcePathStyle: true,
      region: "us-east-1",
    });
    expect(errorOf(() => loadConfig({ ...production, ATTACHMENTS_BACKEND: "s3" }, "serve"))).toBe(
      "S3_BUCKET: is required when ATTACHMENTS_BACKEND=s3",
    );
    expect(
      errorOf(() =>
        loadConfig(
          { ...production, ATTACHMENTS_BACKEND: "s3", S3_BUCKET: "b", ATTACHMENTS_ACCEL_REDIRECT: "/_a/" },
          "serve",
        ),
      ),
    ).toStartWith("ATTACHMENTS_ACCEL_REDIRECT:");
    expect(
      errorOf(() => loadConfig({ ...production, ATTACHMENTS_ACCEL_REDIRECT: "/x/../y" }, "serve")),
    ).toStartWith("ATTACHMENTS_ACCEL_REDIRECT:");
    expect(errorOf(() => loadConfig({ ...production, ATTACHMENTS_MAX_BYTES: "0" }, "serve"))).toStartWith(
      "ATTACHMENTS_MAX_BYTES:",
    );
  });

  test("TRUST_PROXY: a list of addresses and CIDRs; true means loopback and private networks", () => {
    const trusted = (value: string) =>
      loadConfig({ ...production, TRUST_PROXY: value }, "serve").trustedProxies;
    expect(trusted("10.0.0.0/8, 127.0.0.1,2001:db8::/32")).toEqual([
      "10.0.0.0/8",
      "127.0.0.1",
      "2001:db8::/32",
    ]);
    expect(trusted("false")).toEqual([]);
    expect(trusted("true")).toEqual(PRIVATE_NETWORKS);
  });

  test("DATABASE_URL: several hosts with target_session_attrs=primary or read-write; bad host lists are clear errors", () => {
    const multi = "postgres://app:pw@pg1:5432,pg2:5433,pg-3.internal/tasks?target_session_attrs=primary";
    expect(loadConfig({ ...production, DATABASE_URL: multi }, "serve").databaseUrl).toBe(multi);
    const readWrite = "postgres://app@pg1:5432,pg2:5432/tasks?target_session_attrs=read-write";
    expect(loadConfig({ ...production, DATABASE_URL: readWrite }, "serve").databaseUrl).toBe(readWrite);
    const single = "postgres://app@db:5432/tasks?target_session_attrs=read-write";
    expect(loadConfig({ ...production, DATABASE_URL: single }, "serve").databaseUrl).toBe(single);
    const problem = (url: string) => errorOf(() => loadConfig({ ...production, DATABASE_URL: url }, "serve"));
    expect(problem("postgres://app@pg1:5432,pg2:5432/tasks")).toBe(
      "DATABASE_URL: with several hosts, add ?target_session_attrs=primary (or read-write; got none)",
    );
    expect(problem("postgres://app@pg1,pg2/tasks?target_session_attrs=standby")).toBe(
      'DATABASE_URL: with several hosts, add ?target_session_attrs=primary (or read-write; got "standby")',
    );
    expect(problem("postgres://app@pg1:5432,pg2:99999/t?target_session_attrs=primary")).toBe(
      'DATABASE_URL: must list hosts as host:port,host:port; "pg2:99999" is not a host:port',
    );
    expect(problem("postgres://app@pg1:5432,,pg2/t?target_session_attrs=primary")).toStartWith(
      'DATABASE_URL: must list hosts as host:port,host:port; "" is not',
    );
    expect(problem("postgres://app@pg1,pg2;DROP TABLE users/t?target_session_attrs=primary")).toStartWith(
      "DATABASE_URL: must list hosts",
    );
    expect(problem("postgres://app@db/t?target_session_attrs=any")).toBe(
      "DATABASE_URL: target_session_attrs must be one of primary, read-write, read-only, standby, prefer-standby",
    );
    expect(problem("postgres://app@pg1:x,pg2/t")).toBe("DATABASE_URL: must be a postgres:// URL");
    expect(problem(`postgres://app@${"a,".repeat(5000)}b/t`)).toBe("DATABASE_URL: at most 16 hosts");
    expect(problem("mysql://a,b/t")).toBe("DATABASE_URL: must be a postgres:// URL");
    expect(problem("postgres://app@pg1\0,pg2/t?target_session_attrs=primary")).toStartWith("DATABASE_URL:");
  });

  test("REDIS_SENTINELS: host:port list (26379 by default), a master name, REDIS_URL then optional", () => {
    const env = { ...production, REDIS_URL: undefined, REDIS_SENTINELS: "s1:26379, s2 ,10.0.0.3:26380" };
    const config = loadConfig(env, "serve");
    expect(config.redisSentinels).toEqual([
      { host: "s1", port: 26379 },
      { host: "s2", port: 26379 },
      { host: "10.0.0.3", port: 26380 },
    ]);
    expect(config.redisSentinelName).toBe("taskplatform");
    expect(config.redisUrl).toBeUndefined();
    expect(loadConfig({ ...env, REDIS_SENTINEL_NAME: "tp-main" }, "serve").redisSentinelName).toBe("tp-main");
    expect(loadConfig({ ...production, REDIS_SENTINELS: undefined }, "serve").redisSentinels).toBeUndefined();
    const problem = (extra: Record<string, string>) =>
      errorOf(() => loadConfig({ ...env, ...extra }, "serve"));
    expect(problem({ REDIS_SENTINELS: "s1:26379,s2:0" })).toBe(
      'REDIS_SENTINELS: must be host:port,host:port; "s2:0" is not a host:port',
    );
    expect(problem({ REDIS_SENTINELS: "redis://s1:26379" })).toStartWith(
      "REDIS_SENTINELS: must be host:port",
    );
    expect(problem({ REDIS_SENTINELS: "s1,,s2" })).toStartWith(
      'REDIS_SENTINELS: must be host:port,host:port; ""',
    );
    expect(problem({ REDIS_SENTINELS: Array(17).fill("s").join(",") })).toBe(
      "REDIS_SENTINELS: at most 16 sentinels",
    );
    expect(problem({ REDIS_SENTINEL_NAME: "a b\u0000" })).toStartWith("REDIS_SENTINEL_NAME: must be");
    expect(problem({ REDIS_URL: "rediss://:pw@cache:6380/0" })).toBe(
      "REDIS_URL: rediss:// (TLS) is not supported together with REDIS_SENTINELS",
    );
    expect(errorOf(() => loadConfig({ ...production, REDIS_URL: undefined }, "serve"))).toBe(
      "REDIS_URL: required (or REDIS_URL_FILE)",
    );
  });

  test("every secret can come from NAME_FILE; both set is an error; unreadable file is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-config-"));
    for (const name of SECRET_NAMES) {
      const value = name.endsWith("_URL")
        ? ({ REDIS_URL: "redis://from-file:6379", SMTP_URL: "smtps://user:pw@mail.example:465" }[
            name as string
          ] ?? "postgres://from-file/db")
        : "s".repeat(40);
      const file = join(dir, name);
      writeFileSync(file, `${value}\n`);
      const env: Record<string, string | undefined> = {
        ...production,
        [name]: undefined,
        [`${name}_FILE`]: file,
      };
      const config = loadConfig(env, "serve");
      if (name === "SMTP_URL") {
        expect(config.mail.smtpUrl).toBe(value);
        continue;
      }
      if (name === "S3_SECRET_ACCESS_KEY") {
        expect(config.attachments.s3.secretAccessKey).toBe(value);
        continue;
      }
      const key = {
        DATABASE_URL: "databaseUrl",
        DATABASE_PASSWORD: "databasePassword",
        REDIS_URL: "redisUrl",
        REDIS_PASSWORD: "redisPassword",
        REDIS_SENTINEL_PASSWORD: "redisSentinelPassword",
        JWT_SECRET: "jwtSecret",
      }[name as string];
      expect(config[key as keyof typeof config]).toBe(value);
      expect(
        errorOf(() => loadConfig({ ...production, [name]: value, [`${name}_FILE`]: file }, "serve")),
      ).toBe(`${name} and ${name}_FILE are both set; set only one`);
    }
    expect(
      errorOf(() =>
        loadConfig({ ...production, JWT_SECRET: undefined, JWT_SECRET_FILE: join(dir, "missing") }, "serve"),
      ),
    ).toStartWith("JWT_SECRET_FILE: cannot read");
  });
});

test("MIGRATE_ON_START: on unless set to false", () => {
  expect(loadConfig(production, "serve").migrateOnStart).toBe(true);
  expect(loadConfig({}, "dev").migrateOnStart).toBe(true);
  expect(loadConfig({ ...production, MIGRATE_ON_START: "false" }, "serve").migrateOnStart).toBe(false);
  expect(loadConfig({ ...production, MIGRATE_ON_START: "0" }, "serve").migrateOnStart).toBe(false);
  expect(errorOf(() => loadConfig({ ...production, MIGRATE_ON_START: "later" }, "serve"))).toBe(
    "MIGRATE_ON_START: must be true or false",
  );
});

test("the entry point exits 2 with one line naming the variable", () => {
  const result = Bun.spawnSync(["bun", join(import.meta.dir, "main.ts"), "serve"], {
    env: { PATH: process.env.PATH ?? "", ...production, PORT: "not-a-port" },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(result.exitCode).toBe(2);
  const lines = result.stderr.toString().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith("taskplatform-api: invalid configuration: PORT:");
}, 30_000);
