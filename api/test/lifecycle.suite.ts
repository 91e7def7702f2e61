// Process lifecycle of the real API entry point: SIGTERM, healthcheck, configuration errors, *_FILE
// secrets, failing and concurrent migrations, JSON logs without secrets, and /metrics from a real
// process. CI: .ci/suites "api processes".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { migrations } from "../migrations/index.ts";
import {
  buildCompiledApi,
  type RunningApi,
  runApi,
  startApi,
  TEST_JWT_SECRET,
} from "./support/api-process.ts";
import {
  call,
  createProject,
  createTask,
  eventually,
  openEvents,
  refreshCookieOf,
  sample,
  scrape,
  signUp,
} from "./support/client.ts";
import { CONTRACT_METRICS } from "./support/metric-names.ts";
import {
  createDatabase,
  freePort,
  type RestartableService,
  startPostgres,
  startRedis,
} from "./support/services.ts";

setDefaultTimeout(30_000);

let pg: RestartableService;
let redis: RestartableService;
let databaseUrl: string;
/** One long-lived instance at LOG_LEVEL=debug for logs, metrics and the healthcheck. */
let main: RunningApi;
const others: RunningApi[] = [];
let secretsDir: string;
const USER_LIMIT = 40;

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  databaseUrl = await createDatabase(pg.url);
  main = await startApi({
    databaseUrl,
    redisUrl: redis.url,
    env: { LOG_LEVEL: "debug", RATE_LIMIT_AUTH_IP: "100000", RATE_LIMIT_USER: String(USER_LIMIT) },
  });
  secretsDir = mkdtempSync(join(tmpdir(), "tp-secrets-"));
}, 60_000);

afterAll(async () => {
  await Promise.all([main, ...others].map((api) => api?.stop()));
  await Promise.all([pg?.stop(), redis?.stop()]);
  if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
});

const baseEnv = () => ({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET });

describe("SIGTERM", () => {
  test("stops accepting connections, finishes the in-flight request, ends SSE streams, exits 0", async () => {
    const api = await startApi({ databaseUrl, redisUrl: redis.url, env: { RATE_LIMIT_AUTH_IP: "100000" } });
    const user = await signUp(api.url, "graceful");
    const projectId = await createProject(api.url, user);
    const stream = await openEvents(api.url, { token: user.token });
    await stream.waitFor((m) => m.event === "ready");

    // An upload the test controls: headers now, the body only after SIGTERM.
    let finishBody: () => void = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"projectId":"${projectId}",`));
        finishBody = () => {
          controller.enqueue(new TextEncoder().encode(`"title":"in flight during SIGTERM"}`));
          controller.close();
        };
      },
    });
    const inFlight = fetch(`${api.url}/api/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body,
      duplex: "half",
    });
    await Bun.sleep(200);

    const signalled = performance.now();
    api.proc.kill("SIGTERM");
    // New connections are refused while the upload is still running.
    let refused = false;
    for (let attempt = 0; attempt < 40 && !refused; attempt += 1) {
      try {
        const socket = await Bun.connect({ hostname: "127.0.0.1", port: api.port, socket: { data() {} } });
        socket.end();
        await Bun.sleep(25);
      } catch {
        refused = true;
      }
    }
    expect(refused).toBe(true);
    // The SSE stream is ended by the server.
    await Promise.race([stream.ended, Bun.sleep(3000)]);
    expect(stream.closed).toBe(true);
    expect(api.proc.exitCode).toBeNull();

    finishBody();
    const response = await inFlight;
    expect(response.status).toBe(201);
    const task = (await response.json()) as { id: string };
    const exitCode = await api.proc.exited;
    const exitMs = performance.now() - signalled;
    console.log(
      `[lifecycle] SIGTERM → exit ${exitCode} after ${exitMs.toFixed(0)} ms (upload held open ~0.3 s)`,
    );
    expect(exitCode).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    expect(api.output()).toContain('"msg":"stopped"');

    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    const rows = await sql`SELECT title FROM tasks WHERE id = ${task.id}`;
    await sql.end();
    expect(rows[0]?.title).toBe("in flight during SIGTERM");
  });
});

describe("healthcheck subcommand", () => {
  test("exits 0 against a ready instance and 1 when nothing listens", async () => {
    const ready = await runApi(["healthcheck"], { PORT: String(main.port) });
    expect(ready.exitCode).toBe(0);
    const nothing = await runApi(["healthcheck"], { PORT: String(await freePort()) });
    expect(nothing.exitCode).toBe(1);
  });
});

describe("the compiled executable (api/package.json build, what api/Containerfile ships)", () => {
  test("serves and reports ready; healthcheck works; dev without DATABASE_URL names the way out", async () => {
    const executable = buildCompiledApi(join(secretsDir, "taskplatform-api"));
    const compiled = await startApi({ databaseUrl, redisUrl: redis.url, executable });
    others.push(compiled);
    const ready = await fetch(`${compiled.url}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok" });
    const detail = await fetch(`${compiled.url}/internal/ready`);
    expect(await detail.json()).toMatchObject({
      checks: { postgres: { status: "ok" }, redis: { status: "ok", kind: "redis" } },
    });
    const user = await signUp(compiled.url);
    expect((await call(compiled.url, "GET", "/api/projects", { token: user.token })).status).toBe(200);
    const health = await runApi(["healthcheck"], { PORT: String(compiled.port) }, 20_000, executable);
    expect(health.exitCode).toBe(0);
    // PGlite is left out of the executable (--external): a clear refusal, not a module-not-found trace.
    const dev = await runApi(["dev"], { JWT_SECRET: TEST_JWT_SECRET }, 20_000, executable);
    expect(dev.exitCode).toBe(2);
    expect(dev.stderr).toContain(
      "embedded PostgreSQL is only in the source tree (bun run dev); set DATABASE_URL",
    );
  });
});

describe("configuration", () => {
  test("invalid configuration exits 2 with one line naming the variable, never echoing secrets", async () => {
    const conflictFile = join(secretsDir, "database-url");
    writeFileSync(conflictFile, `${databaseUrl}\n`);
    const secretUrl = "postgres://app:hunter2-secret@127.0.0.1:5432/app";
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ["PORT=abc", { ...baseEnv(), PORT: "abc" }, /\bPORT\b/],
      ["short JWT_SECRET", { ...baseEnv(), JWT_SECRET: "too-short-secret" }, /\bJWT_SECRET\b.*32/],
      [
        "DATABASE_URL and DATABASE_URL_FILE",
        { ...baseEnv(), DATABASE_URL: secretUrl, DATABASE_URL_FILE: conflictFile },
        /DATABASE_URL and DATABASE_URL_FILE/,
      ],
      [
        "no DATABASE_URL",
        { REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET },
        /\bDATABASE_URL\b.*required/,
      ],
      [
        "unreadable JWT_SECRET_FILE",
        { ...baseEnv(), JWT_SECRET: "", JWT_SECRET_FILE: join(secretsDir, "missing") },
        /\bJWT_SECRET_FILE\b/,
      ],
    ];
    // Two at a time: each is a full `bun` start-up, and the machine has two cores.
    const results: Awaited<ReturnType<typeof runApi>>[] = [];
    for (let index = 0; index < cases.length; index += 2) {
      const batch = cases.slice(index, index + 2).map(([, env]) => runApi(["serve"], env, 60_000));
      results.push(...(await Promise.all(batch)));
    }
    for (const [index, result] of results.entries()) {
      const [name, , pattern] = cases[index] as (typeof cases)[number];
      const lines = `${result.stdout}${result.stderr}`.trim().split("\n");
      expect({ name, exitCode: result.exitCode, lines: lines.length }).toEqual({
        name,
        exitCode: 2,
        lines: 1,
      });
      expect(lines[0]).toMatch(/^taskplatform-api: invalid configuration: /);
      expect(lines[0]).toMatch(pattern);
      for (const secret of ["hunter2-secret", "too-short-secret", TEST_JWT_SECRET])
        expect(lines[0]).not.toContain(secret);
    }
    const unknown = await runApi(["frobnicate"], baseEnv());
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown command");
  }, 120_000);

  test("DATABASE_URL_FILE, REDIS_URL_FILE and JWT_SECRET_FILE are read (trailing newline ignored); idle SIGTERM is prompt", async () => {
    const files = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET };
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(files)) {
      const path = join(secretsDir, name.toLowerCase());
      writeFileSync(path, `${value}\n`, { mode: 0o600 });
      env[name] = "";
      env[`${name}_FILE`] = path;
    }
    const api = await startApi({
      databaseUrl: "",
      redisUrl: "",
      env: { ...env, RATE_LIMIT_AUTH_IP: "100000" },
    });
    others.push(api);
    const user = await signUp(api.url, "from-files");
    // Same secret as the main instance: its tokens are valid there, so the file's newline was dropped.
    expect((await call(main.url, "GET", "/api/auth/me", { token: user.token })).status).toBe(200);
    expect(api.output()).not.toContain(TEST_JWT_SECRET);

    // An idle instance with idle keep-alive clients still exits promptly on SIGTERM.
    const signalled = performance.now();
    const exitCode = await api.stop("SIGTERM");
    const exitMs = performance.now() - signalled;
    console.log(`[lifecycle] idle SIGTERM → exit ${exitCode} after ${exitMs.toFixed(0)} ms`);
    expect(exitCode).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
  });
});

describe("migrations at start-up", () => {
  test("a failing migration rolls back and the process refuses to start with a clear message", async () => {
    const broken = await createDatabase(pg.url, "tp_broken");
    const sql = postgres(broken, { max: 1, onnotice: () => {} });
    try {
      // Someone's own table in the way, and no schema_migrations: 0001 cannot create "users".
      await sql`CREATE TABLE users (legacy_id integer)`;
      const result = await runApi(["serve"], {
        ...baseEnv(),
        DATABASE_URL: broken,
        PORT: String(await freePort()),
      });
      expect(result.exitCode).toBe(1);
      const printed = `${result.stdout}${result.stderr}`;
      expect(result.stderr).toMatch(
        /^taskplatform-api: migration 0001_init failed: .*users.*already exists/m,
      );
      expect(printed).toContain('"msg":"refusing to start"');
      expect(printed).not.toContain('"msg":"listening"');
      const tables = await sql<{ name: string }[]>`
        SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`;
      // Everything 0001 had created before it failed is gone, schema_migrations included.
      expect(tables.map((row) => row.name)).toEqual(["users"]);
      const columns =
        await sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'users'`;
      expect(columns.map((row) => row.column_name)).toEqual(["legacy_id"]);

      const migrate = await runApi(["migrate"], { ...baseEnv(), DATABASE_URL: broken });
      expect(migrate.exitCode).toBe(1);
      expect(migrate.stderr).toContain("migration 0001_init failed");
    } finally {
      await sql.end();
    }
  });

  test("MIGRATE_ON_START=false: serve never migrates, refuses a schema that is behind, serves after `migrate`", async () => {
    const empty = await createDatabase(pg.url, "tp_nomigrate");
    const sql = postgres(empty, { max: 1, onnotice: () => {} });
    try {
      const refused = await runApi(["serve"], {
        ...baseEnv(),
        DATABASE_URL: empty,
        MIGRATE_ON_START: "false",
        PORT: String(await freePort()),
      });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(
        `taskplatform-api: the database schema is behind this version: ${migrations.length} pending migration(s) (${migrations.map((m) => m.version).join(", ")}); MIGRATE_ON_START=false, so run \`taskplatform-api migrate\` first`,
      );
      expect(`${refused.stdout}${refused.stderr}`).toContain('"msg":"refusing to start"');
      expect(refused.stdout).not.toContain('"msg":"listening"');
      // it only read: not even schema_migrations was created
      const tables =
        await sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
      expect(tables.length).toBe(0);

      // the deploy step
      const migrated = await runApi(["migrate"], { ...baseEnv(), DATABASE_URL: empty });
      expect(migrated.exitCode).toBe(0);
      expect(migrated.stdout).toContain('"msg":"migrations applied"');
      const again = await runApi(["migrate"], { ...baseEnv(), DATABASE_URL: empty });
      expect(again.exitCode).toBe(0);
      expect(again.stdout).toContain('"msg":"no pending migrations"');

      const api = await startApi({
        databaseUrl: empty,
        redisUrl: redis.url,
        env: { MIGRATE_ON_START: "false" },
      });
      others.push(api);
      expect((await call(api.url, "GET", "/api/ready")).status).toBe(200);
      expect(api.output()).not.toContain("migration");
    } finally {
      await sql.end();
    }
  });

  test("three instances starting at once on an empty database migrate exactly once and all become ready", async () => {
    const empty = await createDatabase(pg.url, "tp_race");
    const started = performance.now();
    const settled = await Promise.allSettled(
      [1, 2, 3].map(() => startApi({ databaseUrl: empty, redisUrl: redis.url, timeoutMs: 40_000 })),
    );
    const apis = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    others.push(...apis);
    for (const result of settled) if (result.status === "rejected") throw result.reason;
    console.log(
      `[lifecycle] 3 instances on an empty database ready after ${(performance.now() - started).toFixed(0)} ms`,
    );
    for (const api of apis) expect((await call(api.url, "GET", "/api/ready")).status).toBe(200);
    const appliedBy = apis.filter((api) => api.output().includes('"msg":"migrations applied"'));
    expect(appliedBy.length).toBe(1);
    const sql = postgres(empty, { max: 1, onnotice: () => {} });
    const versions = await sql<{ version: string }[]>`SELECT version FROM schema_migrations ORDER BY version`;
    await sql.end();
    expect(versions.map((row) => row.version)).toEqual(migrations.map((migration) => migration.version));
  });
});

describe("logs", () => {
  test("one JSON line per request with the contract's fields; request ids honoured and echoed", async () => {
    const user = await signUp(main.url, "logged");
    const projectId = await createProject(main.url, user);
    const mine = await call(main.url, "GET", `/api/tasks?projectId=${projectId}`, {
      token: user.token,
      headers: { "x-request-id": "lifecycle-req-42" },
    });
    expect(mine.headers.get("x-request-id")).toBe("lifecycle-req-42");
    const unsafe = await call(main.url, "GET", "/api/health", {
      headers: { "x-request-id": "bad id\twith tab" },
    });
    const generated = unsafe.headers.get("x-request-id") ?? "";
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const anonymous = await call(main.url, "GET", "/api/health");
    expect(anonymous.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    await eventually(async () => main.output().includes(generated), "log line of the generated id", 3000);
    const lines = main.output().trim().split("\n");
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = records.filter((record) => record.msg === "request");
    expect(requests.length).toBeGreaterThan(3);
    for (const record of requests) {
      expect(Object.keys(record)).toEqual(
        expect.arrayContaining([
          "time",
          "level",
          "requestId",
          "method",
          "route",
          "status",
          "durationMs",
          "userId",
        ]),
      );
      expect(new Date(record.time as string).toISOString()).toBe(record.time as string);
      expect(typeof record.durationMs).toBe("number");
    }
    const tagged = requests.find((record) => record.requestId === "lifecycle-req-42");
    expect(tagged).toMatchObject({
      level: "info",
      method: "GET",
      route: "/api/tasks",
      status: 200,
      userId: user.id,
    });
    expect(requests.find((record) => record.requestId === generated)).toMatchObject({
      route: "/api/health",
      userId: null,
    });
  });

  test("no password, access token, refresh cookie or Authorization value ever reaches the output", async () => {
    const email = `secret-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const password = `pw-${crypto.randomUUID()}`;
    const wrongPassword = `wrong-${crypto.randomUUID()}`;
    const register = await call(main.url, "POST", "/api/auth/register", {
      body: { email, password, name: "Secretive" },
    });
    expect(register.status).toBe(201);
    const cookie = refreshCookieOf(register.headers) as string;
    const login = await call(main.url, "POST", "/api/auth/login", { body: { email, password } });
    expect(login.status).toBe(200);
    const failed = await call(main.url, "POST", "/api/auth/login", {
      body: { email, password: wrongPassword },
    });
    expect(failed.status).toBe(401);
    const refresh = await call(main.url, "POST", "/api/auth/refresh", { cookie });
    expect(refresh.status).toBe(200);
    const rotated = refreshCookieOf(refresh.headers) as string;
    // Once rotated twice, reusing the first cookie is refused (and revokes the session; the cookie
    // rotated away just now would still be forgiven for 30 s): still nothing logged.
    const again = await call(main.url, "POST", "/api/auth/refresh", { cookie: rotated });
    expect(again.status).toBe(200);
    expect((await call(main.url, "POST", "/api/auth/refresh", { cookie })).status).toBe(401);
    const bogus = `bogus.${crypto.randomUUID()}.token`;
    expect((await call(main.url, "GET", "/api/projects", { token: bogus })).status).toBe(401);
    expect(
      (
        await call(main.url, "GET", "/api/projects", {
          headers: { authorization: `Basic ${btoa(`${email}:${password}`)}` },
        })
      ).status,
    ).toBe(401);
    // Malformed bodies carrying a password.
    const malformed = await fetch(`${main.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"email":"${email}","password":"${password}"`,
    });
    expect(malformed.status).toBe(400);
    const invalid = await call(main.url, "POST", "/api/auth/register", {
      body: { email: "not-an-email", password, name: "x" },
    });
    expect(invalid.status).toBe(422);
    const changed = await call(main.url, "POST", "/api/auth/password", {
      token: login.body.accessToken,
      body: { currentPassword: wrongPassword, newPassword: `${password}-new` },
    });
    expect(changed.status).toBe(422);
    // The browser opens the event stream with a ticket in the query string.
    const ticket = await call(main.url, "POST", "/api/events/ticket", { token: login.body.accessToken });
    expect(ticket.status).toBe(201);
    const stream = await openEvents(main.url, { ticket: ticket.body.ticket });
    await stream.waitFor((m) => m.event === "ready");
    stream.close();
    await Bun.sleep(300);

    const output = main.output();
    const secrets = {
      password,
      wrongPassword,
      "register access token": register.body.accessToken,
      "login access token": login.body.accessToken,
      "refreshed access token": refresh.body.accessToken,
      "refresh cookie": cookie.split("=")[1] as string,
      "refresh secret": (cookie.split("=")[1] as string).split(".")[1] as string,
      "rotated cookie": rotated.split("=")[1] as string,
      "bogus bearer": bogus,
      "event-stream ticket": ticket.body.ticket as string,
      "basic credentials": btoa(`${email}:${password}`),
    };
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, leaked: output.includes(value) }).toEqual({ name, leaked: false });
    }
    // The JWT signature part alone must not appear either (e.g. from a query string).
    expect(output.includes((login.body.accessToken as string).split(".")[2] as string)).toBe(false);
    expect(output).not.toMatch(/authorization|bearer |cookie"|"password"/i);
  });
});

describe("metrics from a real process", () => {
  test("/metrics exposes the contract's names, labelled by route template, never raw ids", async () => {
    const user = await signUp(main.url, "metered");
    const projectId = await createProject(main.url, user);
    const task = (await createTask(main.url, user, projectId, "count me")).body;
    expect((await call(main.url, "GET", `/api/tasks/${task.id}`, { token: user.token })).status).toBe(200);
    expect((await call(main.url, "GET", `/api/projects/${projectId}`, { token: user.token })).status).toBe(
      200,
    );
    expect((await call(main.url, "GET", `/api/no/such/${crypto.randomUUID()}`)).status).toBe(404);
    expect(
      (
        await call(main.url, "POST", "/api/auth/login", {
          body: { email: user.email, password: "nope-nope-nope" },
        })
      ).status,
    ).toBe(401);

    const response = await fetch(`${main.url}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    for (const name of CONTRACT_METRICS) {
      expect({
        name,
        exposed: new RegExp(`^# TYPE ${name.replace(/_bucket$/, "")} `, "m").test(text),
      }).toEqual({
        name,
        exposed: true,
      });
    }
    expect(text).toContain('route="/api/tasks/:id"');
    expect(text).toContain('route="/api/projects/:id"');
    expect(text).toContain('route="unmatched",status="404"');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*le="0.2"/);
    expect(text).toContain('db_pool_connections{state="max"} 10');
    expect(text).toMatch(/auth_logins_total\{result="failure"\} [1-9]/);
    expect(text).toMatch(/app_info\{version="[^"]+"\} 1/);
    // No raw id in any label.
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(text).not.toContain(task.id);
  });

  test("cache hit and miss counters move", async () => {
    const user = await signUp(main.url, "cached");
    const projectId = await createProject(main.url, user);
    await createTask(main.url, user, projectId, "cached task");
    const path = `/api/tasks?projectId=${projectId}`;
    const before = await scrape(main.url);
    await call(main.url, "GET", path, { token: user.token });
    const afterMiss = await scrape(main.url);
    await call(main.url, "GET", path, { token: user.token });
    const afterHit = await scrape(main.url);
    const miss = 'cache_requests_total{result="miss"}';
    const hit = 'cache_requests_total{result="hit"}';
    expect(sample(afterMiss, miss) - sample(before, miss)).toBe(1);
    expect(sample(afterHit, hit) - sample(afterMiss, hit)).toBe(1);
    // A write moves the project to a new cache key: the next read is a miss again.
    await createTask(main.url, user, projectId, "invalidates");
    await call(main.url, "GET", path, { token: user.token });
    expect(sample(await scrape(main.url), miss) - sample(afterHit, miss)).toBe(1);
  });

  test("sse_clients goes up and down", async () => {
    const user = await signUp(main.url, "watcher");
    const baseline = sample(await scrape(main.url), "sse_clients");
    const streams = await Promise.all([1, 2, 3].map(() => openEvents(main.url, { token: user.token })));
    await Promise.all(streams.map((stream) => stream.waitFor((m) => m.event === "ready")));
    expect(sample(await scrape(main.url), "sse_clients")).toBe(baseline + 3);
    for (const stream of streams) stream.close();
    await eventually(
      async () => sample(await scrape(main.url), "sse_clients") === baseline,
      "sse_clients back to its baseline",
      5000,
    );
  });

  test("a 429 increments rate_limited_total and carries Retry-After and RateLimit-* headers", async () => {
    const user = await signUp(main.url, "hasty");
    const before = sample(await scrape(main.url), 'rate_limited_total{scope="user"}');
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i <= USER_LIMIT + 2 && !limited; i += 1) {
      const reply = await call(main.url, "GET", "/api/projects", { token: user.token });
      if (reply.status === 429) limited = reply;
      else expect(reply.status).toBe(200);
    }
    expect(limited?.status).toBe(429);
    expect(limited?.body.error.code).toBe("rate_limited");
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited?.headers.get("ratelimit-limit")).toBe(String(USER_LIMIT));
    expect(limited?.headers.get("ratelimit-remaining")).toBe("0");
    expect(sample(await scrape(main.url), 'rate_limited_total{scope="user"}')).toBe(before + 1);
  });
});
