// GET /api/calendar on real PostgreSQL: tasks due in a window across the caller's projects or one of
// them; other users' projects never leak; archived tasks and projects; assignedToMe; bad windows → 422.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
let me: TestUser;
let other: TestUser;
/** Mine (owner), theirs with me as viewer, theirs alone. */
let mine: string;
let shared: string;
let secret: string;

const project = async (user: TestUser, name: string) =>
  (await t.call("POST", "/api/projects", { token: user.token, body: { name } })).body.id as string;
const task = async (user: TestUser, projectId: string, title: string, dueAt: string | null, extra = {}) => {
  const res = await t.call("POST", "/api/tasks", {
    token: user.token,
    body: { projectId, title, dueAt, ...extra },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
};
const calendar = (query: string, user = me) => t.call("GET", `/api/calendar?${query}`, { token: user.token });
const titles = async (query: string, user = me) => {
  const res = await calendar(query, user);
  expect(res.status).toBe(200);
  expect(res.body.truncated).toBe(false);
  return (res.body.items as { title: string }[]).map((item) => item.title);
};
const DECEMBER = "from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z";

beforeAll(async () => {
  t = await createTestApp();
  [me, other] = await Promise.all([t.signUp("Me"), t.signUp("Other")]);
  [mine, shared, secret] = await Promise.all([
    project(me, "Mine"),
    project(other, "Shared"),
    project(other, "Secret"),
  ]);
  await t.call("POST", `/api/projects/${shared}/members`, {
    token: other.token,
    body: { email: me.email, role: "viewer" },
  });
  await task(me, mine, "first instant", "2026-12-01T00:00:00Z");
  await task(me, mine, "mine mid", "2026-12-15T09:30:00Z", { assigneeId: me.id });
  await task(me, mine, "no due date", null);
  await task(me, mine, "the next month", "2027-01-01T00:00:00Z");
  await task(me, mine, "the month before", "2026-11-30T23:59:59.999Z");
  await task(other, shared, "shared late", "2026-12-31T23:59:59.999Z", { assigneeId: me.id });
  await task(other, shared, "shared early", "2026-12-02T12:00:00Z");
  await task(other, secret, "secret", "2026-12-10T12:00:00Z");
}, 120_000);
afterAll(() => t.close());

describe("GET /api/calendar", () => {
  test("every project of mine, by due date, from inclusive and to exclusive; another user's project never", async () => {
    expect(await titles(DECEMBER)).toEqual(["first instant", "shared early", "mine mid", "shared late"]);
    // The other user sees their own two projects and not mine.
    expect(await titles(DECEMBER, other)).toEqual(["shared early", "secret", "shared late"]);
  });

  test("answers whole tasks in the task shape", async () => {
    const res = await calendar(DECEMBER);
    const item = res.body.items.find((i: { title: string }) => i.title === "mine mid");
    const read = await t.call("GET", `/api/tasks/${item.id}`, { token: me.token });
    expect(item).toEqual(read.body);
    expect(res.headers.get("content-type")).toStartWith("application/json");
  });

  test("a window given with an offset is the same instant", async () => {
    // 2026-12-15T10:30+01:00 is 09:30Z: "mine mid" is its first instant.
    expect(await titles("from=2026-12-15T10:30:00%2B01:00&to=2026-12-16T00:00:00%2B14:00")).toEqual([
      "mine mid",
    ]);
  });

  test("one project: mine, one shared with me; another's is 404 and says nothing", async () => {
    expect(await titles(`${DECEMBER}&projectId=${mine}`)).toEqual(["first instant", "mine mid"]);
    expect(await titles(`${DECEMBER}&projectId=${shared}`)).toEqual(["shared early", "shared late"]);
    const hidden = await calendar(`${DECEMBER}&projectId=${secret}`);
    expect(hidden.status).toBe(404);
    expect(hidden.text).not.toContain("secret");
    expect((await calendar(`${DECEMBER}&projectId=${crypto.randomUUID()}`)).status).toBe(404);
  });

  test("assignedToMe keeps the tasks assigned to me, across projects", async () => {
    expect(await titles(`${DECEMBER}&assignedToMe=true`)).toEqual(["mine mid", "shared late"]);
    expect(await titles(`${DECEMBER}&assignedToMe=false`)).toHaveLength(4);
  });

  test("archived tasks are left out; an archived project too, unless asked for by id", async () => {
    const archivedProject = await project(me, "Archived");
    const kept = await task(me, archivedProject, "in an archived project", "2026-12-20T08:00:00Z");
    const gone = await task(me, mine, "archived task", "2026-12-20T09:00:00Z");
    expect((await t.call("POST", `/api/tasks/${gone.id}/archive`, { token: me.token })).status).toBe(200);
    expect(
      (await t.call("POST", `/api/projects/${archivedProject}/archive`, { token: me.token })).status,
    ).toBe(200);
    const all = await titles(DECEMBER);
    expect(all).not.toContain("archived task");
    expect(all).not.toContain("in an archived project");
    expect(await titles(`${DECEMBER}&projectId=${archivedProject}`)).toEqual(["in an archived project"]);
    expect(kept.id).toBeString();
  });

  test("a project I left is no longer in my calendar", async () => {
    const left = await project(other, "Left");
    await task(other, left, "left behind", "2026-12-03T00:00:00Z");
    await t.call("POST", `/api/projects/${left}/members`, {
      token: other.token,
      body: { email: me.email, role: "editor" },
    });
    expect(await titles(DECEMBER)).toContain("left behind");
    const removed = await t.call("DELETE", `/api/projects/${left}/members/${me.id}`, { token: other.token });
    expect(removed.status).toBe(204);
    expect(await titles(DECEMBER)).not.toContain("left behind");
  });

  test("more than 1000 tasks in the window: the first 1000 by due date, and truncated", async () => {
    const crowded = await project(me, "Crowded");
    const seed = await task(me, crowded, "seed", "2026-12-05T00:00:00Z");
    await t.sql`
      INSERT INTO tasks (project_id, title, status, column_id, position, due_at)
      SELECT project_id, 'bulk ' || g, status, column_id, position + g, due_at + g * interval '1 minute'
      FROM tasks, generate_series(1, 1000) g WHERE id = ${seed.id}`;
    const res = await calendar(`${DECEMBER}&projectId=${crowded}`);
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(true);
    expect(res.body.items).toHaveLength(1000);
    expect(res.body.items[0].title).toBe("seed");
    expect(res.body.items.at(-1).title).toBe("bulk 999");
  });

  test("without a token: 401", async () => {
    expect((await t.call("GET", `/api/calendar?${DECEMBER}`)).status).toBe(401);
  });
});

describe("bad windows → 422 naming the field", () => {
  const cases: [string, string, string][] = [
    ["no window", "", "from"],
    ["no end", "from=2026-12-01T00:00:00Z", "to"],
    ["the end before the start", "from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to"],
    ["an empty window", "from=2026-12-01T00:00:00Z&to=2026-12-01T00:00:00Z", "to"],
    ["63 days", "from=2026-12-01T00:00:00Z&to=2027-02-02T00:00:00Z", "to"],
    ["a year", "from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", "to"],
    ["a date without a time", "from=2026-12-01&to=2026-12-31T00:00:00Z", "from"],
    ["month 13", "from=2026-13-01T00:00:00Z&to=2026-12-31T00:00:00Z", "from"],
    ["words", "from=yesterday&to=2026-12-31T00:00:00Z", "from"],
    ["year 0", "from=0000-12-01T00:00:00Z&to=0000-12-31T00:00:00Z", "from"],
    ["NUL", "from=2026-12-01T00:00:00Z%00&to=2026-12-31T00:00:00Z", "from"],
    ["SQL", "from=2026-12-01T00:00:00Z'%3B DROP TABLE tasks%3B--&to=2026-12-31T00:00:00Z", "from"],
    ["a huge value", `from=${"9".repeat(10_000)}&to=2026-12-31T00:00:00Z`, "from"],
    ["a project id that is no id", `${DECEMBER}&projectId=1 OR 1=1`, "projectId"],
    ["assignedToMe not a boolean", `${DECEMBER}&assignedToMe=yes`, "assignedToMe"],
    ["an unknown parameter", `${DECEMBER}&userId=${crypto.randomUUID()}`, ""],
  ];
  for (const [name, query, field] of cases) {
    test(name, async () => {
      const res = await calendar(query);
      expect(res.status).toBe(422);
      // NUL never reaches the route: the query cleaner refuses it first (invalid_characters).
      expect(["validation_failed", "invalid_characters"]).toContain(res.body.error.code);
      const paths = (res.body.error.details as { path: string }[]).map((d) => d.path);
      expect(paths).toContain(field);
    });
  }

  test("exactly 62 days is allowed", async () => {
    expect((await calendar("from=2026-12-01T00:00:00Z&to=2027-02-01T00:00:00Z")).status).toBe(200);
  });
});
