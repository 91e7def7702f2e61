// Expand-only, proven: the previous release's API (see .ci/previous-release) serves on the schema this
// release's migrations leave, beside this release's API on the same PostgreSQL and Redis — what runs
// during a rolling upgrade. A smoke suite of what every release has (accounts, projects, members,
// tasks, moves, search, export) goes through the old API, and each side reads what the other wrote.
// Run: bun test ./api/test/compat.suite.ts
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type RunningApi, runApi, startApi, TEST_JWT_SECRET } from "./support/api-process.ts";
import { addMember, call, createProject, refreshCookieOf, signUp, type User } from "./support/client.ts";
import { checkOutRelease, previousReleaseRef } from "./support/previous-release.ts";
import { createDatabase, type RunningService, startPostgres, startRedis } from "./support/services.ts";

// Installing the previous release's dependencies and starting two APIs outlast the default.
setDefaultTimeout(60_000);

let pg: RunningService;
let redis: RunningService;
let previousDir: string;
let previous: RunningApi;
let current: RunningApi;
let ada: User;
let bob: User;
let projectId: string;

beforeAll(async () => {
  const ref = previousReleaseRef();
  previousDir = checkOutRelease(ref);
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const databaseUrl = await createDatabase(pg.url);
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET };
  // Today's migrations, as the upgrade's migrate step applies them before any new replica starts.
  const migrated = await runApi(["migrate"], env, 60_000);
  if (migrated.exitCode !== 0) throw new Error(`migrate failed: ${migrated.stdout}${migrated.stderr}`);
  // MIGRATE_ON_START=false: each API checks that every migration it knows is applied, and migrates
  // nothing: the old one must accept a schema that is ahead of it.
  const noMigrate = { MIGRATE_ON_START: "false" };
  [previous, current] = await Promise.all([
    startApi({
      databaseUrl,
      redisUrl: redis.url,
      env: noMigrate,
      entry: join(previousDir, "api/src/main.ts"),
    }),
    startApi({ databaseUrl, redisUrl: redis.url, env: noMigrate }),
  ]);
  console.log(`previous release ${ref} on ${previous.url}, this one on ${current.url}`);
  ada = await signUp(previous.url, "ada");
  bob = await signUp(current.url, "bob");
  projectId = await createProject(previous.url, ada, "Both versions");
  await addMember(previous.url, ada, projectId, bob);
}, 300_000);

afterAll(async () => {
  await Promise.all([previous?.stop(), current?.stop()]);
  await Promise.all([pg?.stop(), redis?.stop()]);
  if (previousDir) rmSync(previousDir, { recursive: true, force: true });
});

const errorsIn = (api: RunningApi) =>
  api
    .output()
    .split("\n")
    .filter((line) => /"level":"(error|fatal)"/.test(line));

describe("the previous release on today's schema", () => {
  test("accounts: sign-in, refresh and me work across both versions", async () => {
    const login = await call(previous.url, "POST", "/api/auth/login", {
      body: { email: bob.email, password: "a sturdy passphrase 42" },
    });
    expect(login.status).toBe(200);
    const refreshed = await call(current.url, "POST", "/api/auth/refresh", {
      cookie: refreshCookieOf(login.headers),
    });
    expect(refreshed.status).toBe(200);
    const me = await call(previous.url, "GET", "/api/auth/me", { token: refreshed.body.accessToken });
    expect(me.body.user.email).toBe(bob.email);
  });

  test("a task written by the previous release reads the same in this one, and back", async () => {
    const written = {
      title: "Written by the old API",
      description: "**keep** me",
      status: "in_progress",
      priority: "high",
      dueAt: "2031-05-04T10:00:00.000Z",
      labels: ["compat"],
      assigneeId: bob.id,
    };
    const created = await call(previous.url, "POST", "/api/tasks", {
      token: ada.token,
      body: { projectId, ...written },
    });
    expect(created.status).toBe(201);
    const readByCurrent = await call(current.url, "GET", `/api/tasks/${created.body.id}`, {
      token: bob.token,
    });
    expect(readByCurrent.status).toBe(200);
    expect(readByCurrent.body).toMatchObject({ ...written, version: created.body.version });
    // Every task has a column in today's schema, whoever wrote it.
    expect(readByCurrent.body.columnId).toEqual(expect.any(String));

    const patched = await call(current.url, "PATCH", `/api/tasks/${created.body.id}`, {
      token: bob.token,
      headers: { "if-match": `"${readByCurrent.body.version}"` },
      body: { title: "Edited by the new API" },
    });
    expect(patched.status).toBe(200);
    const stale = await call(previous.url, "PATCH", `/api/tasks/${created.body.id}`, {
      token: ada.token,
      headers: { "if-match": `"${created.body.version}"` },
      body: { title: "A stale edit" },
    });
    expect(stale.status).toBe(409);
    const readByPrevious = await call(previous.url, "GET", `/api/tasks/${created.body.id}`, {
      token: ada.token,
    });
    expect(readByPrevious.body).toMatchObject({
      title: "Edited by the new API",
      version: patched.body.version,
    });
  });

  test("moves by status on the old API land in the matching column for the new one; done sets completedAt", async () => {
    const task = (
      await call(current.url, "POST", "/api/tasks", {
        token: bob.token,
        body: { projectId, title: "Move me" },
      })
    ).body;
    const moved = await call(previous.url, "POST", `/api/tasks/${task.id}/move`, {
      token: ada.token,
      body: { status: "done", position: 0 },
    });
    expect(moved.status).toBe(200);
    const board = await call(current.url, "GET", `/api/projects/${projectId}/board`, { token: bob.token });
    const column = (board.body.columns as { id: string; kind: string }[]).find((c) => c.kind === "done");
    const seen = (board.body.tasks as { id: string; columnId: string; completedAt: string | null }[]).find(
      (t) => t.id === task.id,
    );
    expect(seen?.columnId).toBe(column?.id as string);
    expect(seen?.completedAt).toEqual(expect.any(String));
  });

  test("lists, filters and search of the old API see tasks the new one wrote", async () => {
    await call(current.url, "POST", "/api/tasks", {
      token: bob.token,
      body: { projectId, title: "Quarterly budget review", labels: ["finance"], status: "todo" },
    });
    const list = async (query: string) =>
      (await call(previous.url, "GET", `/api/tasks?projectId=${projectId}&${query}`, { token: ada.token }))
        .body.items as { title: string }[];
    expect((await list("q=budget")).map((t) => t.title)).toEqual(["Quarterly budget review"]);
    expect((await list("label=finance&status=todo")).map((t) => t.title)).toEqual([
      "Quarterly budget review",
    ]);
    expect((await list("sort=-createdAt")).length).toBeGreaterThanOrEqual(3);
  });

  test("members, deletes and projects: each side sees the other's writes", async () => {
    const cara = await signUp(current.url, "cara");
    await addMember(current.url, ada, projectId, cara);
    const members = await call(previous.url, "GET", `/api/projects/${projectId}/members`, {
      token: ada.token,
    });
    expect((members.body.items as { email: string }[]).map((m) => m.email)).toContain(cara.email);
    const doomed = (
      await call(previous.url, "POST", "/api/tasks", {
        token: ada.token,
        body: { projectId, title: "Doomed" },
      })
    ).body;
    expect((await call(previous.url, "DELETE", `/api/tasks/${doomed.id}`, { token: ada.token })).status).toBe(
      204,
    );
    expect((await call(current.url, "GET", `/api/tasks/${doomed.id}`, { token: ada.token })).status).toBe(
      404,
    );
    const renamed = await call(previous.url, "PATCH", `/api/projects/${projectId}`, {
      token: ada.token,
      body: { name: "Renamed by the old API" },
    });
    expect(renamed.status).toBe(200);
    expect(
      (await call(current.url, "GET", `/api/projects/${projectId}`, { token: bob.token })).body.name,
    ).toBe("Renamed by the old API");
  });

  test("the previous release's export imports into this one", async () => {
    const exported = await call(previous.url, "GET", "/api/export", { token: ada.token });
    expect(exported.status).toBe(200);
    const imported = await call(current.url, "POST", "/api/import", {
      token: ada.token,
      body: exported.body,
    });
    expect(imported.status).toBe(201);
    expect(imported.body.projects[0].tasks.created).toBeGreaterThanOrEqual(3);
  });

  test("neither API logged an error; both stay ready", async () => {
    expect(errorsIn(previous)).toEqual([]);
    expect(errorsIn(current)).toEqual([]);
    for (const api of [previous, current]) expect((await fetch(`${api.url}/api/ready`)).status).toBe(200);
  });
});
