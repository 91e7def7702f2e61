// Failure behaviour of a real API process while its real Redis and PostgreSQL servers are stopped and
// started again (same port, same data): fast answers, clear errors, recovery without an API restart,
// and no acknowledged write lost. CI: .ci/suites "api processes".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { API_ENTRY, type RunningApi, startApi } from "./support/api-process.ts";
import {
  call,
  createProject,
  createTask,
  eventually,
  openEvents,
  PASSWORD,
  payload,
  type Reply,
  refreshCookieOf,
  type SseClient,
  sample,
  scrape,
  signUp,
  type User,
} from "./support/client.ts";
import {
  createDatabase,
  type PausableService,
  type RestartableService,
  startPostgres,
  startRedis,
} from "./support/services.ts";

setDefaultTimeout(30_000);

/** No request may take longer than this while a dependency is down. */
const BOUND_MS = 2000;

let pg: RestartableService;
let redis: PausableService;
let databaseUrl: string;
let api: RunningApi;
let user: User;
let projectId: string;
let stream: SseClient;

// A writer creating tasks through every fault: what it got a 201 for must exist at the end.
const acknowledged: string[] = [];
const writerStatuses = new Map<number, number>();
let writerMaxMs = 0;
let writing = true;
let writer: Promise<void>;

const timings: { what: string; ms: number; status: number }[] = [];
async function timed(what: string, run: () => Promise<Reply>, boundMs = BOUND_MS): Promise<Reply> {
  const reply = await run();
  timings.push({ what, ms: reply.ms, status: reply.status });
  expect({ what, ms: reply.ms < boundMs }).toEqual({ what, ms: true });
  return reply;
}

async function healthcheckExit(): Promise<number> {
  const proc = Bun.spawn(["bun", API_ENTRY, "healthcheck"], {
    env: { PATH: process.env.PATH ?? "", PORT: String(api.port) },
    stdout: "ignore",
    stderr: "ignore",
  });
  return proc.exited;
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  databaseUrl = await createDatabase(pg.url);
  api = await startApi({
    databaseUrl,
    redisUrl: redis.url,
    env: {
      RATE_LIMIT_AUTH_IP: "100000",
      RATE_LIMIT_IP: "100000",
      RATE_LIMIT_USER: "100000",
      SSE_HEARTBEAT_SECONDS: "1",
    },
  });
  user = await signUp(api.url, "survivor");
  projectId = await createProject(api.url, user, "Resilient");
  stream = await openEvents(api.url, { token: user.token });
  await stream.waitFor((m) => m.event === "ready");
  writer = (async () => {
    let n = 0;
    while (writing) {
      n += 1;
      try {
        const reply = await createTask(api.url, user, projectId, `steady ${n}`);
        writerStatuses.set(reply.status, (writerStatuses.get(reply.status) ?? 0) + 1);
        writerMaxMs = Math.max(writerMaxMs, reply.ms);
        if (reply.status === 201) acknowledged.push(reply.body.id);
      } catch (error) {
        writerStatuses.set(0, (writerStatuses.get(0) ?? 0) + 1);
        if ((writerStatuses.get(0) ?? 0) <= 3)
          console.log(`[failures] writer request failed: ${(error as Error).message}`);
      }
      await Bun.sleep(40);
    }
  })();
}, 60_000);

afterAll(async () => {
  writing = false;
  await writer;
  stream?.close();
  const exitedEarly = api && api.proc.exitCode !== null;
  const code = await api?.stop();
  if (exitedEarly || code !== 0 || process.env.SHOW_API_OUTPUT) {
    const lines = api?.output().split("\n") ?? [];
    console.log(`[failures] API exited with ${code}; its output without request lines:`);
    console.log(lines.filter((line) => !line.includes('"msg":"request"')).join("\n"));
    console.log("[failures] requests slower than 1 s:");
    console.log(
      lines
        .filter((line) => line.includes('"msg":"request"') && (JSON.parse(line).durationMs ?? 0) > 1000)
        .join("\n"),
    );
  }
  await Promise.all([pg?.stop(), redis?.stop()]);
  if (timings.length > 0) {
    const worst = [...timings].sort((x, y) => y.ms - x.ms).slice(0, 5);
    console.log(
      `[failures] slowest answers while degraded: ${worst.map((t) => `${t.what} ${t.status} ${t.ms.toFixed(0)} ms`).join("; ")}`,
    );
  }
});

describe("Redis down", () => {
  let cookieBefore: string;
  const taskIds: string[] = [];

  test("tasks keep working from PostgreSQL, sign-in answers 503, tokens keep working, ready is 503", async () => {
    const warm = await call(api.url, "GET", `/api/tasks?projectId=${projectId}`, { token: user.token });
    expect(warm.status).toBe(200);
    cookieBefore = user.cookie;
    const before = await scrape(api.url);
    await redis.down();

    const ready = await timed("ready", () => call(api.url, "GET", "/internal/ready"));
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe("unavailable");
    expect(ready.body.checks.redis.status).toBe("down");
    expect(ready.body.checks.postgres.status).toBe("ok");
    expect((await timed("health", () => call(api.url, "GET", "/api/health"))).status).toBe(200);
    expect(await healthcheckExit()).toBe(1);

    const created = await timed("create task", () =>
      createTask(api.url, user, projectId, "written without Redis"),
    );
    expect(created.status).toBe(201);
    taskIds.push(created.body.id);
    const patched = await timed("update task", () =>
      call(api.url, "PATCH", `/api/tasks/${created.body.id}`, {
        token: user.token,
        body: { priority: "high" },
      }),
    );
    expect(patched.status).toBe(200);
    // The list is computed from PostgreSQL (cache bypassed) and already shows the write.
    const list = await timed("list tasks", () =>
      call(api.url, "GET", `/api/tasks?projectId=${projectId}&limit=100&sort=-createdAt`, {
        token: user.token,
      }),
    );
    expect(list.status).toBe(200);
    expect(list.body.items.find((t: { id: string }) => t.id === created.body.id)?.priority).toBe("high");
    const me = await timed("me", () => call(api.url, "GET", "/api/auth/me", { token: user.token }));
    expect(me.status).toBe(200);

    for (const [what, reply] of [
      [
        "login",
        await timed("login", () =>
          call(api.url, "POST", "/api/auth/login", { body: { email: user.email, password: PASSWORD } }),
        ),
      ],
      [
        "refresh",
        await timed("refresh", () => call(api.url, "POST", "/api/auth/refresh", { cookie: cookieBefore })),
      ],
      [
        "register",
        // Registration hashes the password (argon2id, CPU-bound) before it reaches Redis.
        await timed(
          "register",
          () =>
            call(api.url, "POST", "/api/auth/register", {
              body: {
                email: `late-${crypto.randomUUID().slice(0, 8)}@example.test`,
                password: PASSWORD,
                name: "Late",
              },
            }),
          5000,
        ),
      ],
    ] as const) {
      expect({ what, status: reply.status }).toEqual({ what, status: 503 });
      expect(reply.headers.get("content-type")).toContain("application/json");
      expect(reply.body.error.code).toBe("store_unavailable");
      expect(reply.body.error.message).toMatch(/temporarily unavailable/);
      expect(reply.headers.get("retry-after")).toBe("5");
    }

    // A new SSE connection does not hang either.
    const sse = await openEvents(api.url, { token: user.token });
    expect(sse.status).toBe(200);
    await sse.waitFor((m) => m.event === "ready", BOUND_MS);
    sse.close();

    const after = await scrape(api.url);
    expect(sample(after, 'cache_requests_total{result="bypass"}')).toBeGreaterThan(
      sample(before, 'cache_requests_total{result="bypass"}'),
    );
  });

  test("recovers by itself when Redis is back: ready, sign-in, refresh, cache and live updates", async () => {
    const started = performance.now();
    await redis.up();
    await eventually(
      async () => (await call(api.url, "GET", "/api/ready")).status === 200,
      "ready after Redis",
      10_000,
    );
    const recoveryMs = performance.now() - started;
    console.log(`[failures] Redis back → /api/ready 200 after ${recoveryMs.toFixed(0)} ms (no API restart)`);
    expect(await healthcheckExit()).toBe(0);

    // The restarted Redis is empty (no persistence in this test), so the old session is gone: 401, not 503.
    const stale = await call(api.url, "POST", "/api/auth/refresh", { cookie: cookieBefore });
    expect(stale.status).toBe(401);
    const login = await call(api.url, "POST", "/api/auth/login", {
      body: { email: user.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const cookie = refreshCookieOf(login.headers) as string;
    const refreshed = await call(api.url, "POST", "/api/auth/refresh", { cookie });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.accessToken).toBeString();

    // The stream opened before the outage learns that it missed events, then carries new ones again.
    await stream.waitFor((m) => m.event === "resync", 5000);
    const fresh = (await createTask(api.url, user, projectId, "after Redis came back")).body;
    await stream.waitFor((m) => m.event === "task.created" && payload(m).task.id === fresh.id, 3000);

    // The writer keeps changing the main project (each write moves its list to a new cache key).
    const quiet = await createProject(api.url, user, "Quiet");
    const before = await scrape(api.url);
    const path = `/api/tasks?projectId=${quiet}&limit=5`;
    expect((await call(api.url, "GET", path, { token: user.token })).status).toBe(200);
    expect((await call(api.url, "GET", path, { token: user.token })).status).toBe(200);
    const after = await scrape(api.url);
    expect(sample(after, 'cache_requests_total{result="hit"}')).toBeGreaterThan(
      sample(before, 'cache_requests_total{result="hit"}'),
    );
    user = { ...user, cookie };
  });
});

describe("Redis hanging (paused, connections open, no answers)", () => {
  test("requests still answer within 2 s (command timeout, then a circuit breaker), and recover", async () => {
    const known = (await createTask(api.url, user, projectId, "before Redis hangs")).body.id;
    redis.pause();
    try {
      for (let round = 0; round < 2; round += 1) {
        const list = await timed("list tasks (Redis hung)", () =>
          call(api.url, "GET", `/api/tasks?projectId=${projectId}&limit=5`, { token: user.token }),
        );
        expect(list.status).toBe(200);
        const created = await timed("create task (Redis hung)", () =>
          createTask(api.url, user, projectId, `while Redis hangs ${round}`),
        );
        expect(created.status).toBe(201);
        expect(
          (
            await timed("get task (Redis hung)", () =>
              call(api.url, "GET", `/api/tasks/${known}`, { token: user.token }),
            )
          ).status,
        ).toBe(200);
        const login = await timed("login (Redis hung)", () =>
          call(api.url, "POST", "/api/auth/login", { body: { email: user.email, password: PASSWORD } }),
        );
        expect(login.status).toBe(503);
        expect(login.body.error.code).toBe("store_unavailable");
        const ready = await timed("ready (Redis hung)", () => call(api.url, "GET", "/internal/ready"));
        expect(ready.status).toBe(503);
        expect(ready.body.checks.redis.status).toBe("down");
      }
    } finally {
      redis.resume();
    }
    await eventually(
      async () => (await call(api.url, "GET", "/api/ready")).status === 200,
      "ready after resume",
      10_000,
    );
    const login = await call(api.url, "POST", "/api/auth/login", {
      body: { email: user.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
  });
});

describe("PostgreSQL down", () => {
  test("requests answer 503 within 2 s, none hang; ready is 503 naming postgres; liveness stays 200", async () => {
    const known = (await createTask(api.url, user, projectId, "before PostgreSQL stops")).body.id;
    await pg.down();

    const requests: Array<[string, () => Promise<Reply>]> = [
      ["list tasks", () => call(api.url, "GET", `/api/tasks?projectId=${projectId}`, { token: user.token })],
      ["get task", () => call(api.url, "GET", `/api/tasks/${known}`, { token: user.token })],
      ["create task", () => createTask(api.url, user, projectId, "refused")],
      ["projects", () => call(api.url, "GET", "/api/projects", { token: user.token })],
      ["me", () => call(api.url, "GET", "/api/auth/me", { token: user.token })],
      [
        "login",
        () => call(api.url, "POST", "/api/auth/login", { body: { email: user.email, password: PASSWORD } }),
      ],
      ["events", () => call(api.url, "GET", "/api/events", { token: user.token })],
    ];
    // All at once, twice: the second round finds the pool's connections already gone.
    for (let round = 0; round < 2; round += 1) {
      const replies = await Promise.all(requests.map(([what, run]) => timed(what, run)));
      for (const [index, reply] of replies.entries()) {
        const what = requests[index]?.[0];
        expect({ what, status: reply.status }).toEqual({ what, status: 503 });
        expect(reply.body.error.code).toBe("database_unavailable");
        expect(reply.headers.get("retry-after")).toBe("5");
      }
    }
    const ready = await timed("ready", () => call(api.url, "GET", "/internal/ready"));
    expect(ready.status).toBe(503);
    expect(ready.body.checks.postgres.status).toBe("down");
    expect(ready.body.checks.redis.status).toBe("ok");
    expect((await timed("health", () => call(api.url, "GET", "/api/health"))).status).toBe(200);
    expect(await healthcheckExit()).toBe(1);
  });

  test("recovers by itself when PostgreSQL is back", async () => {
    const started = performance.now();
    await pg.up();
    await eventually(
      async () => (await call(api.url, "GET", "/api/ready")).status === 200,
      "ready after PostgreSQL",
      10_000,
    );
    console.log(
      `[failures] PostgreSQL back → /api/ready 200 after ${(performance.now() - started).toFixed(0)} ms (no API restart)`,
    );
    const list = await call(api.url, "GET", `/api/tasks?projectId=${projectId}`, { token: user.token });
    expect(list.status).toBe(200);
    const created = await createTask(api.url, user, projectId, "after PostgreSQL came back");
    expect(created.status).toBe(201);
    acknowledged.push(created.body.id);
    const login = await call(api.url, "POST", "/api/auth/login", {
      body: { email: user.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
  });
});

describe("no acknowledged write is lost", () => {
  test("every task the writer got a 201 for is in PostgreSQL", async () => {
    // Let the writer run a little past recovery, then stop it.
    await Bun.sleep(300);
    writing = false;
    await writer;
    console.log(
      `[failures] background writer: ${JSON.stringify(Object.fromEntries(writerStatuses))} (status → count), slowest ${writerMaxMs.toFixed(0)} ms`,
    );
    // Only 201 (served) and 503 (refused while PostgreSQL was down); never a hang, a 500 or a dropped connection.
    expect([...writerStatuses.keys()].filter((status) => status !== 201 && status !== 503)).toEqual([]);
    expect(writerStatuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(writerMaxMs).toBeLessThan(BOUND_MS);

    const { default: postgres } = await import("postgres");
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<
        { count: string }[]
      >`SELECT count(*) FROM tasks WHERE id = ANY(${acknowledged}::uuid[])`;
      expect(Number(row?.count)).toBe(acknowledged.length);
    } finally {
      await sql.end();
    }
    console.log(`[failures] ${acknowledged.length} acknowledged writes, all present after the faults`);
  });
});
