// Test harness: a fresh app per test file on real PostgreSQL and Redis.
// Servers come from TEST_DATABASE_URL / TEST_REDIS_URL, else throwaway local servers when the binaries
// exist, else (outside CI only) embedded PGlite and the in-memory store. It prints which once.
import { createApp } from "../../src/app.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { TEST_JWT_SECRET } from "./api-process.ts";
import { createDatabase, postgresBinDir, redisBinary, startPostgres, startRedis } from "./services.ts";

export type Backends = { kind: "real"; postgresUrl: string; redisUrl: string } | { kind: "embedded" };

const globalState = globalThis as { __tpBackends?: Promise<Backends> };

async function resolveBackends(): Promise<Backends> {
  const fromEnv = { postgres: process.env.TEST_DATABASE_URL, redis: process.env.TEST_REDIS_URL };
  let postgresUrl = fromEnv.postgres;
  let redisUrl = fromEnv.redis;
  const notes: string[] = [];
  if (!postgresUrl && postgresBinDir()) {
    postgresUrl = (await startPostgres()).url;
    notes.push("throwaway PostgreSQL");
  }
  if (!redisUrl && redisBinary()) {
    redisUrl = (await startRedis()).url;
    notes.push("throwaway Redis");
  }
  if (postgresUrl && redisUrl) {
    console.log(
      `[test] backends: PostgreSQL ${postgresUrl}, Redis ${redisUrl}${notes.length ? ` (${notes.join(", ")})` : ""}`,
    );
    return { kind: "real", postgresUrl, redisUrl };
  }
  if (process.env.CI) {
    throw new Error(
      "CI must test against real PostgreSQL and Redis: install postgresql and redis-server or set TEST_DATABASE_URL/TEST_REDIS_URL",
    );
  }
  console.log(
    "[test] backends: embedded PGlite and in-memory store (no PostgreSQL/Redis found; CI uses real servers)",
  );
  return { kind: "embedded" };
}

export function testBackends(): Promise<Backends> {
  globalState.__tpBackends ??= resolveBackends();
  return globalState.__tpBackends;
}

/** Every test runtime's configuration. Generous limits by default: suites that test the limits set their own. */
const TEST_ENV = {
  JWT_SECRET: TEST_JWT_SECRET,
  TRUST_PROXY: "true",
  RATE_LIMIT_AUTH_IP: "100000",
  RATE_LIMIT_USER: "100000",
  RATE_LIMIT_IP: "100000",
  DATABASE_POOL_MAX: "5",
  EVENTS_RETAINED: "1000",
  // Generous: a loaded CI machine must not turn into flaky 503s. Fail-fast is tested per process.
  REDIS_COMMAND_TIMEOUT_MS: "5000",
};

export interface TestRuntime extends Runtime {
  config: Config & { jwtSecret: string };
  /** The database of one's own on the PostgreSQL server; undefined on embedded PGlite. */
  databaseUrl?: string;
}

/** The app's runtime on a database (migrated: every migration, or those given) and a store namespace of one's own. */
export async function freshRuntime(
  env: Record<string, string> = {},
  log: Logger = createLogger("silent"),
  migrations?: Parameters<typeof migrate>[1],
): Promise<TestRuntime> {
  const backends = await testBackends();
  const servers =
    backends.kind === "real"
      ? {
          DATABASE_URL: await createDatabase(backends.postgresUrl),
          REDIS_URL: backends.redisUrl,
          REDIS_KEY_PREFIX: `t${crypto.randomUUID().slice(0, 8)}:`,
        }
      : {};
  const config = loadConfig({ ...TEST_ENV, ...servers, ...env }, "dev");
  const runtime = await createRuntime(config, {
    log,
    onRedisError: (error) => console.error(`[test] redis client error: ${error.message}`),
  });
  await migrate(runtime.sql, migrations);
  if (!(await runtime.storeReady(10_000))) throw new Error(`Redis at ${config.redisUrl} not reachable`);
  return { ...runtime, config: { ...config, jwtSecret: TEST_JWT_SECRET }, databaseUrl: config.databaseUrl };
}

export interface TestApp extends Pick<Runtime, "sql" | "store" | "metrics" | "jobs"> {
  app: ReturnType<typeof createApp>;
  logs: string[];
  close(): Promise<void>;
  /** JSON request helper: returns status, parsed body (or text) and headers. */
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** Registers a fresh user and returns their token and refresh cookie. */
  signUp(name?: string): Promise<TestUser>;
  /** POST /api/auth/login's status for these credentials. */
  loginStatus(email: string, password: string): Promise<number>;
  /** A project of `owner`'s with `members` added (an account is added at once: 202); returns its id. */
  createProject(
    owner: TestUser,
    name: string,
    members?: readonly (readonly [TestUser, Role])[],
  ): Promise<string>;
  /** The app on a real loopback socket (started on first use, stopped by close()); returns its URL. */
  listen(): string;
  /** A second instance of the app (its own runtime: pool, Redis clients) on the same database and
   * store, as another replica would be; close it before this one. */
  replica(): Promise<Pick<TestApp, "call" | "close">>;
}

type Role = "owner" | "editor" | "viewer";

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: RequestInit["body"];
  headers?: Record<string, string>;
  cookie?: string;
  ip?: string;
}

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  headers: Headers;
  text: string;
}

export interface TestUser {
  id: string;
  email: string;
  name: string;
  password: string;
  token: string;
  cookie: string;
}

export const TEST_PASSWORD = "a sturdy passphrase 42";

/**
 * app.request() has no socket: this stands in for Bun's server so the app sees requests coming from
 * 127.0.0.1, a trusted proxy under the harness's TRUST_PROXY, and X-Forwarded-For picks the address.
 */
const LOOPBACK_PEER = { requestIP: () => ({ address: "127.0.0.1", family: "IPv4", port: 0 }) };

/** JSON requests to `app` from `defaultIp`: status, parsed body (or text) and headers. */
function caller(app: ReturnType<typeof createApp>, defaultIp: string) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = {
      "x-forwarded-for": options.ip ?? defaultIp,
      ...options.headers,
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    let body: RequestInit["body"] = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await app.request(path, { method, headers, body }, LOOPBACK_PEER);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers, text };
  };
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const logs: string[] = [];
  const runtime = await freshRuntime(
    env,
    createLogger("debug", (line) => logs.push(line)),
  );
  const app = createApp(runtime);
  let userCount = 0;
  // Each test app gets its own client address so per-IP limits of one file do not leak into another.
  const defaultIp = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const call = caller(app, defaultIp);

  let server: ReturnType<typeof Bun.serve> | undefined;
  return {
    app,
    sql: runtime.sql,
    store: runtime.store,
    metrics: runtime.metrics,
    jobs: runtime.jobs,
    logs,
    async close() {
      await server?.stop(true);
      await runtime.close();
    },
    call,
    async replica() {
      const other = await createRuntime(runtime.config, { log: createLogger("silent") });
      return {
        call: caller(createApp({ ...other, config: runtime.config }), defaultIp),
        close: () => other.close(),
      };
    },
    listen() {
      server ??= Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        fetch: (request, bun) => app.fetch(request, bun),
      });
      return `http://127.0.0.1:${server.port}`;
    },
    async loginStatus(email, password) {
      return (await call("POST", "/api/auth/login", { body: { email, password } })).status;
    },
    async createProject(owner, name, members = []) {
      const created = await call("POST", "/api/projects", { token: owner.token, body: { name } });
      if (created.status !== 201)
        throw new Error(`project creation failed: ${created.status} ${created.text}`);
      for (const [member, role] of members) {
        const added = await call("POST", `/api/projects/${created.body.id}/members`, {
          token: owner.token,
          body: { email: member.email, role },
        });
        if (added.status !== 202) throw new Error(`adding ${role} failed: ${added.status} ${added.text}`);
      }
      return created.body.id as string;
    },
    async signUp(name = "Test User") {
      userCount += 1;
      const email = `user${userCount}-${crypto.randomUUID().slice(0, 8)}@example.test`;
      const response = await call("POST", "/api/auth/register", {
        body: { email, password: TEST_PASSWORD, name },
      });
      if (response.status !== 201)
        throw new Error(`sign-up failed: ${response.status} ${response.text}\n${logs.slice(-5).join("\n")}`);
      return {
        id: response.body.user.id,
        email,
        name,
        password: TEST_PASSWORD,
        token: response.body.accessToken,
        cookie: refreshCookie(response.headers) ?? "",
      };
    },
  };
}

/** The `__Host-tp_refresh=…` pair from a response, ready for a Cookie header. */
export function refreshCookie(headers: Headers): string | undefined {
  for (const cookie of headers.getSetCookie()) {
    const pair = cookie.split(";")[0];
    if (pair?.startsWith("__Host-tp_refresh=") && pair.length > "__Host-tp_refresh=".length) return pair;
  }
  return undefined;
}
