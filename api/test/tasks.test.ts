import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";
import { planOfRequest } from "./support/query-plans.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
let owner: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let projectId: string;

type Task = {
  id: string;
  title: string;
  status: string;
  position: number;
  version: number;
  [key: string]: unknown;
};

const create = async (body: Record<string, unknown>, token = owner.token) =>
  t.call("POST", "/api/tasks", { token, body: { projectId, ...body } });
const list = async (query: Record<string, string>, token = owner.token) =>
  t.call("GET", `/api/tasks?${new URLSearchParams({ projectId, ...query })}`, { token });
const titles = (items: Task[]) => items.map((task) => task.title);

/** Lists are built as JSON by PostgreSQL: every item must be exactly what GET /api/tasks/:id returns. */
async function expectListMatchesReads(board: string) {
  const listed = await t.call("GET", `/api/tasks?projectId=${board}&limit=100`, { token: owner.token });
  expect(listed.body.items.length).toBeGreaterThan(0);
  for (const item of listed.body.items as Task[]) {
    const read = await t.call("GET", `/api/tasks/${item.id}`, { token: owner.token });
    expect(JSON.stringify(item)).toBe(read.text);
  }
}

beforeAll(async () => {
  t = await createTestApp();
  [owner, viewer, outsider] = await Promise.all([
    t.signUp("Owner"),
    t.signUp("Viewer"),
    t.signUp("Outsider"),
  ]);
  projectId = await t.createProject(owner, "Board", [[viewer, "viewer"]]);
}, 120_000);
afterAll(() => t.close());

describe("create and read", () => {
  test("defaults, camelCase JSON, ETag and Location", async () => {
    const res = await create({ title: "  Write the launch post  " });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      projectId,
      title: "Write the launch post",
      description: "",
      status: "todo",
      priority: "medium",
      dueAt: null,
      labels: [],
      assigneeId: null,
      version: 1,
      completedAt: null,
      archivedAt: null,
      recurrence: null,
    });
    expect(Object.keys(res.body).sort()).toEqual(
      [
        "id",
        "projectId",
        "title",
        "description",
        "status",
        "columnId",
        "priority",
        "dueAt",
        "labels",
        "assigneeId",
        "position",
        "version",
        "createdAt",
        "updatedAt",
        "completedAt",
        "archivedAt",
        "recurrence",
      ].sort(),
    );
    expect(res.headers.get("etag")).toBe('"1"');
    expect(res.headers.get("location")).toBe(`/api/tasks/${res.body.id}`);
    const got = await t.call("GET", `/api/tasks/${res.body.id}`, { token: viewer.token });
    expect(got.body).toEqual(res.body);
  });

  test("a task created as done has completedAt; labels are de-duplicated", async () => {
    const res = await create({
      title: "Done already",
      status: "done",
      labels: ["a", "b", "a"],
      dueAt: "2030-01-02T03:04:05+02:00",
    });
    expect(res.body.completedAt).toBeString();
    expect(res.body.labels).toEqual(["a", "b"]);
    expect(res.body.dueAt).toBe("2030-01-02T01:04:05.000Z");
  });

  test("viewers cannot write; outsiders see nothing (404)", async () => {
    expect((await create({ title: "nope" }, viewer.token)).status).toBe(403);
    expect((await create({ title: "nope" }, outsider.token)).status).toBe(404);
    const task = (await create({ title: "private" })).body;
    expect((await t.call("GET", `/api/tasks/${task.id}`, { token: outsider.token })).status).toBe(404);
    expect(
      (await t.call("PATCH", `/api/tasks/${task.id}`, { token: outsider.token, body: { title: "x" } }))
        .status,
    ).toBe(404);
    expect((await t.call("DELETE", `/api/tasks/${task.id}`, { token: outsider.token })).status).toBe(404);
    expect(
      (
        await t.call("POST", `/api/tasks/${task.id}/move`, {
          token: outsider.token,
          body: { status: "done", position: 0 },
        })
      ).status,
    ).toBe(404);
    expect((await list({}, outsider.token)).status).toBe(404);
    expect(
      (await t.call("PATCH", `/api/tasks/${task.id}`, { token: viewer.token, body: { title: "x" } })).status,
    ).toBe(403);
  });

  test("the assignee must be a member of the project", async () => {
    const bad = await create({ title: "assign", assigneeId: outsider.id });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe("assigneeId");
    const good = await create({ title: "assign", assigneeId: viewer.id });
    expect(good.body.assigneeId).toBe(viewer.id);
  });
});

describe("update with optimistic concurrency", () => {
  test("If-Match with the current version applies; a stale one is 409 with the current task", async () => {
    const task = (await create({ title: "Versioned" })).body;
    const first = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: owner.token,
      body: { title: "V2", priority: "high" },
      headers: { "if-match": '"1"' },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ title: "V2", priority: "high", version: 2 });
    expect(first.headers.get("etag")).toBe('"2"');
    const stale = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: owner.token,
      body: { title: "lost" },
      headers: { "if-match": '"1"' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("conflict");
    expect(stale.body.error.details.current.title).toBe("V2");
    expect((await t.call("GET", `/api/tasks/${task.id}`, { token: owner.token })).body.title).toBe("V2");
    const garbage = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: owner.token,
      body: { title: "x" },
      headers: { "if-match": "yesterday" },
    });
    expect(garbage.status).toBe(400);
    // Without If-Match the last write wins.
    expect(
      (await t.call("PATCH", `/api/tasks/${task.id}`, { token: owner.token, body: { description: "free" } }))
        .body.version,
    ).toBe(3);
  });

  test("two concurrent edits with the same version: exactly one wins", async () => {
    const task = (await create({ title: "Race" })).body;
    const edits = await Promise.all(
      ["a", "b", "c"].map((title) =>
        t.call("PATCH", `/api/tasks/${task.id}`, {
          token: owner.token,
          body: { title },
          headers: { "if-match": '"1"' },
        }),
      ),
    );
    expect(edits.map((edit) => edit.status).sort()).toEqual([200, 409, 409]);
  });

  test("concurrent creates, edits and moves in one project all succeed (no deadlock between writers)", async () => {
    const board = await t.createProject(owner, "Busy");
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        (
          await t.call("POST", "/api/tasks", {
            token: owner.token,
            body: { projectId: board, title: `t${i}` },
          })
        ).body.id,
      );
    }
    const statuses = ["todo", "in_progress", "done"];
    const operations = Array.from({ length: 60 }, (_, i) => {
      const id = ids[i % ids.length];
      if (i % 3 === 0)
        return t.call("PATCH", `/api/tasks/${id}`, { token: owner.token, body: { title: `e${i}` } });
      if (i % 3 === 1)
        return t.call("POST", `/api/tasks/${id}/move`, {
          token: owner.token,
          body: { status: statuses[i % statuses.length], position: i % 3 },
        });
      return t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: board, title: `c${i}` } });
    });
    const results = await Promise.all(operations);
    expect(results.map((result) => result.status).filter((status) => status >= 300)).toEqual([]);
    // Creates in one column got distinct positions: each saw the one before it.
    const todo = (
      await t.call("GET", `/api/tasks?projectId=${board}&status=todo&limit=100`, { token: owner.token })
    ).body.items as Task[];
    const positions = todo.map((task) => task.position);
    expect(new Set(positions).size).toBe(positions.length);
  });

  test("status done sets completedAt, leaving done clears it; nulls clear fields", async () => {
    const task = (await create({ title: "Finish", dueAt: "2031-05-05T00:00:00Z", assigneeId: owner.id }))
      .body;
    const done = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: owner.token,
      body: { status: "done" },
    });
    expect(done.body.completedAt).toBeString();
    const reopened = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: owner.token,
      body: { status: "in_progress", dueAt: null, assigneeId: null },
    });
    expect(reopened.body).toMatchObject({
      completedAt: null,
      dueAt: null,
      assigneeId: null,
      status: "in_progress",
    });
  });

  test("delete, then 404; a stale If-Match on delete is 409", async () => {
    const task = (await create({ title: "Gone" })).body;
    await t.call("PATCH", `/api/tasks/${task.id}`, { token: owner.token, body: { title: "Gone 2" } });
    expect(
      (
        await t.call("DELETE", `/api/tasks/${task.id}`, {
          token: owner.token,
          headers: { "if-match": '"1"' },
        })
      ).status,
    ).toBe(409);
    expect((await t.call("DELETE", `/api/tasks/${task.id}`, { token: owner.token })).status).toBe(204);
    expect((await t.call("GET", `/api/tasks/${task.id}`, { token: owner.token })).status).toBe(404);
    expect((await t.call("DELETE", `/api/tasks/${task.id}`, { token: owner.token })).status).toBe(404);
  });
});

describe("board moves", () => {
  test("moving places the task at the requested index of the target column", async () => {
    const board = await t.createProject(owner, "Moves");
    const make = async (title: string) =>
      (await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: board, title } }))
        .body as Task;
    const [a, b, c, d] = [await make("A"), await make("B"), await make("C"), await make("D")];
    const column = async (status: string) =>
      titles(
        (
          await t.call("GET", `/api/tasks?projectId=${board}&status=${status}&sort=position`, {
            token: owner.token,
          })
        ).body.items,
      );
    expect(await column("todo")).toEqual(["A", "B", "C", "D"]);
    await t.call("POST", `/api/tasks/${d?.id}/move`, {
      token: owner.token,
      body: { status: "todo", position: 0 },
    });
    expect(await column("todo")).toEqual(["D", "A", "B", "C"]);
    await t.call("POST", `/api/tasks/${d?.id}/move`, {
      token: owner.token,
      body: { status: "todo", position: 2 },
    });
    expect(await column("todo")).toEqual(["A", "B", "D", "C"]);
    await t.call("POST", `/api/tasks/${a?.id}/move`, {
      token: owner.token,
      body: { status: "todo", position: 99 },
    });
    expect(await column("todo")).toEqual(["B", "D", "C", "A"]);
    const moved = await t.call("POST", `/api/tasks/${b?.id}/move`, {
      token: owner.token,
      body: { status: "done", position: 0 },
    });
    expect(moved.body).toMatchObject({ status: "done", version: 2 });
    expect(moved.body.completedAt).toBeString();
    await t.call("POST", `/api/tasks/${c?.id}/move`, {
      token: owner.token,
      body: { status: "done", position: 0 },
    });
    expect(await column("done")).toEqual(["C", "B"]);
    expect(await column("todo")).toEqual(["D", "A"]);
    expect(
      (
        await t.call("POST", `/api/tasks/${c?.id}/move`, {
          token: owner.token,
          body: { status: "done", position: -1 },
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await t.call("POST", `/api/tasks/${c?.id}/move`, {
          token: owner.token,
          body: { status: "doing", position: 0 },
        })
      ).status,
    ).toBe(422);
  });

  test("repeated moves into the same gap renumber the column and keep the order right", async () => {
    const board = await t.createProject(owner, "Gaps");
    const first = (
      await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: board, title: "first" } })
    ).body;
    const last = (
      await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: board, title: "last" } })
    ).body;
    const inserted: string[] = [];
    for (let i = 0; i < 60; i++) {
      const task = (
        await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: board, title: `n${i}` } })
      ).body;
      // Always between "first" and whatever is right after it: halves the same gap every time.
      await t.call("POST", `/api/tasks/${task.id}/move`, {
        token: owner.token,
        body: { status: "todo", position: 1 },
      });
      inserted.unshift(`n${i}`);
    }
    const order = titles(
      (await t.call("GET", `/api/tasks?projectId=${board}&status=todo&limit=100`, { token: owner.token }))
        .body.items,
    );
    expect(order).toEqual([first.title, ...inserted, last.title]);
    await expectListMatchesReads(board);
    // Renumbering the column is announced once, so live clients refetch instead of drifting.
    const { events } = await t.store.eventsSince("0-0");
    const resyncs = events
      .map((event) => JSON.parse(event.data))
      .filter((event) => event.type === "resync" && event.projectId === board);
    expect(resyncs.length).toBeGreaterThan(0);
  });
});

describe("list: filters, search, sort and cursor pages", () => {
  let searchProject: string;
  beforeAll(async () => {
    searchProject = await t.createProject(owner, "Search");
    const add = (body: Record<string, unknown>) =>
      t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: searchProject, ...body } });
    await add({
      title: "Fix login bug",
      description: "Safari refresh cookie",
      priority: "urgent",
      labels: ["bug", "auth"],
      dueAt: "2030-01-10T00:00:00Z",
    });
    await add({
      title: "Écrire la documentation",
      description: "guide d'installation",
      priority: "low",
      labels: ["docs"],
      dueAt: "2030-02-10T00:00:00Z",
    });
    await add({
      title: "Release notes",
      description: "mention the login fix",
      priority: "high",
      status: "in_progress",
      assigneeId: owner.id,
    });
    await add({ title: "日本語のタスク", description: "国際化", priority: "medium", labels: ["i18n"] });
  });
  const query = (params: Record<string, string>) =>
    t.call("GET", `/api/tasks?${new URLSearchParams({ projectId: searchProject, ...params })}`, {
      token: owner.token,
    });

  test("listed tasks are field for field what a single read returns", async () => {
    const done = await t.call("POST", "/api/tasks", {
      token: owner.token,
      body: { projectId: searchProject, title: 'Quote " and \\ backslash', status: "done" },
    });
    expect(done.body.completedAt).toEqual(expect.any(String));
    await expectListMatchesReads(searchProject);
    await t.call("DELETE", `/api/tasks/${done.body.id}`, { token: owner.token });
  });

  test("filters combine", async () => {
    expect(titles((await query({ status: "in_progress" })).body.items)).toEqual(["Release notes"]);
    expect(titles((await query({ priority: "urgent" })).body.items)).toEqual(["Fix login bug"]);
    expect(titles((await query({ label: "docs" })).body.items)).toEqual(["Écrire la documentation"]);
    expect(titles((await query({ assigneeId: owner.id })).body.items)).toEqual(["Release notes"]);
    expect(titles((await query({ dueBefore: "2030-02-01T00:00:00Z" })).body.items)).toEqual([
      "Fix login bug",
    ]);
    expect(titles((await query({ dueAfter: "2030-02-01T00:00:00Z" })).body.items)).toEqual([
      "Écrire la documentation",
    ]);
    expect((await query({ label: "bug", priority: "low" })).body.items).toEqual([]);
  });

  test("full-text search over title and description, unicode included", async () => {
    expect(titles((await query({ q: "login", sort: "title" })).body.items)).toEqual([
      "Fix login bug",
      "Release notes",
    ]);
    expect(titles((await query({ q: "documentation" })).body.items)).toEqual(["Écrire la documentation"]);
    expect(titles((await query({ q: "safari -release" })).body.items)).toEqual(["Fix login bug"]);
    expect(titles((await query({ q: "国際化" })).body.items)).toEqual(["日本語のタスク"]);
    expect((await query({ q: "'; DROP TABLE tasks; --" })).status).toBe(200);
    expect((await query({ q: "<script>alert(1)</script>" })).body.items).toEqual([]);
  });

  test("sorts", async () => {
    expect(titles((await query({ sort: "-priority" })).body.items)[0]).toBe("Fix login bug");
    expect(titles((await query({ sort: "priority" })).body.items)[0]).toBe("Écrire la documentation");
    const byDue = titles((await query({ sort: "dueAt" })).body.items);
    expect(byDue.slice(0, 2)).toEqual(["Fix login bug", "Écrire la documentation"]);
    expect(titles((await query({ sort: "-dueAt" })).body.items).slice(0, 2)).toEqual([
      "Écrire la documentation",
      "Fix login bug",
    ]);
    expect((await query({ sort: "random" })).status).toBe(422);
  });

  test("cursor pagination visits every task exactly once, for every sort", async () => {
    const pages = await t.createProject(owner, "Pages");
    const priorities = ["low", "medium", "high", "urgent"];
    for (let i = 0; i < 57; i++) {
      await t.call("POST", "/api/tasks", {
        token: owner.token,
        body: {
          projectId: pages,
          title: `Task ${String(i % 13).padStart(2, "0")}`,
          priority: priorities[i % 4],
          ...(i % 3 ? { dueAt: `2030-01-${String((i % 28) + 1).padStart(2, "0")}T00:00:00Z` } : {}),
        },
      });
    }
    for (const sort of [
      "position",
      "createdAt",
      "-createdAt",
      "dueAt",
      "-dueAt",
      "priority",
      "-priority",
      "title",
      "-title",
      "updatedAt",
      "-updatedAt",
    ]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const params: Record<string, string> = { projectId: pages, sort, limit: "10" };
        if (cursor) params.cursor = cursor;
        const res = await t.call("GET", `/api/tasks?${new URLSearchParams(params)}`, { token: owner.token });
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((task: Task) => task.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect({ sort, count: seen.length }).toEqual({ sort, count: 57 });
      expect(new Set(seen).size).toBe(57);
    }
    const forged = await t.call(
      "GET",
      `/api/tasks?projectId=${pages}&cursor=${Buffer.from("[1,2]").toString("base64url")}`,
      { token: owner.token },
    );
    expect(forged.status).toBe(422);
    expect(
      (await t.call("GET", `/api/tasks?projectId=${pages}&limit=101`, { token: owner.token })).status,
    ).toBe(422);
    expect(
      (await t.call("GET", `/api/tasks?projectId=${pages}&limit=0`, { token: owner.token })).status,
    ).toBe(422);
    expect((await t.call("GET", "/api/tasks", { token: owner.token })).status).toBe(422);
  });
});

describe("search as you type", () => {
  let board: string;
  const search = (q: string) =>
    t.call("GET", `/api/tasks?${new URLSearchParams({ projectId: board, q, sort: "title" })}`, {
      token: owner.token,
    });
  const found = async (q: string) => {
    const res = await search(q);
    expect({ q, status: res.status }).toEqual({ q, status: 200 });
    return titles(res.body.items);
  };
  beforeAll(async () => {
    board = await t.createProject(owner, "Typing");
    for (const [title, description] of [
      ["Quarterly analytics review", "🚀 launch the dashboards"],
      ["Deploy the hotfix", "🔥 on call, see #123"],
      ["Order more coffee", "it's a C:\\drive & beans"],
      ["Login page", "e-mail and password"],
    ] as const) {
      await t.call("POST", "/api/tasks", {
        token: owner.token,
        body: { projectId: board, title, description },
      });
    }
  });

  test("the last word matches the beginning of longer words; earlier words match whole", async () => {
    expect(await found("analyt")).toEqual(["Quarterly analytics review"]);
    expect(await found("Quarterly ANALY")).toEqual(["Quarterly analytics review"]);
    expect(await found("analyt review")).toEqual([]);
    expect(await found("dep")).toEqual(["Deploy the hotfix"]);
    expect(await found("e-ma")).toEqual(["Login page"]);
    // "or" being typed at the end is a word ("order"), between two words the operator.
    expect(await found("or")).toEqual(["Order more coffee"]);
    expect(await found("coffee or hotfix")).toEqual(["Deploy the hotfix", "Order more coffee"]);
    expect(await found("review -dashboards")).toEqual([]);
    expect(await found('"launch the"')).toEqual(["Quarterly analytics review"]);
  });

  test("emoji and symbols are found as text; words next to them still match", async () => {
    expect(await found("🚀")).toEqual(["Quarterly analytics review"]);
    expect(await found("🔥 hotf")).toEqual(["Deploy the hotfix"]);
    expect(await found("🔥 analytics")).toEqual([]);
    expect(await found("-🚀 -🔥 -&")).toEqual(["Login page"]);
    expect(await found("#123")).toEqual(["Deploy the hotfix"]);
  });

  test("tsquery syntax typed by the user is text, never an operator", async () => {
    // "!login" would be "not login" and "login | order" an OR if the text reached to_tsquery as typed.
    expect(await found("!login")).toEqual(["Login page"]);
    expect(await found("login | order")).toEqual([]);
    expect(await found("login:*")).toEqual(["Login page"]);
    expect(await found("it's")).toEqual(["Order more coffee"]);
    expect(await found("c:\\drive")).toEqual(["Order more coffee"]);
    for (const q of [
      "'",
      "\\",
      "''",
      "'\\''",
      ":*",
      "!",
      "&",
      "|",
      "(",
      ")",
      "<->",
      '"',
      '"unclosed',
      "-",
      "--",
      "- -x",
      "or",
      "or or",
      "\u00a0x",
      "'; DROP TABLE tasks; --",
    ]) {
      await found(q);
    }
  });

  test("property: any search text answers 200 with a list", async () => {
    const piece = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 8 }),
      fc.constantFrom("'", "\\", '"', "-", ":*", "!", "&", "|", "(", ")", "<->", " or ", " ", "🚀", "日本語"),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 12 }), async (pieces) => {
        const q = pieces.join("").replaceAll("\u0000", "").slice(0, 200);
        if (!q.trim()) return;
        const res = await search(q);
        expect({ q, status: res.status }).toEqual({ q, status: 200 });
        expect(Array.isArray(res.body.items)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe("cache", () => {
  test("second identical list is a cache hit; a write invalidates it", async () => {
    const counts = async () => {
      const metrics = await t.metrics.registry.getSingleMetric("cache_requests_total")?.get();
      const value = (result: string) => metrics?.values.find((v) => v.labels.result === result)?.value ?? 0;
      return { hit: value("hit"), miss: value("miss") };
    };
    const before = await counts();
    const first = await list({ sort: "title" });
    const second = await list({ sort: "title" });
    expect(second.text).toBe(first.text);
    const after = await counts();
    expect(after.miss - before.miss).toBe(1);
    expect(after.hit - before.hit).toBe(1);
    const created = (await create({ title: "zzz fresh" })).body;
    const third = await list({ sort: "title", limit: "100" });
    expect(third.body.items.map((task: Task) => task.id)).toContain(created.id);
  });

  test("no stale list after a write has returned, under concurrent writes and reads", async () => {
    const board = await t.createProject(owner, "Hammer");
    const readAll = () => t.call("GET", `/api/tasks?projectId=${board}&limit=100`, { token: owner.token });
    const writers = Array.from({ length: 4 }, async (_, writer) => {
      for (let i = 0; i < 10; i++) {
        const task = (
          await t.call("POST", "/api/tasks", {
            token: owner.token,
            body: { projectId: board, title: `w${writer}-${i}` },
          })
        ).body;
        // The write has returned: every read from now on must include it.
        const seen = (await readAll()).body.items.map((item: Task) => item.id);
        expect(seen).toContain(task.id);
      }
    });
    const readers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 15; i++) await readAll();
    });
    await Promise.all([...writers, ...readers]);
    expect((await readAll()).body.items).toHaveLength(40);
  });

  test("lists go out gzip-encoded to clients that accept it, as the same JSON", async () => {
    const query = new URLSearchParams({ projectId, sort: "title" });
    const fetchList = (headers: Record<string, string>) =>
      t.app.request(`/api/tasks?${query}`, {
        headers: { authorization: `Bearer ${owner.token}`, ...headers },
      });
    const plain = await fetchList({});
    expect(plain.headers.get("content-encoding")).toBeNull();
    const json = await plain.text();
    expect(JSON.parse(json).items.length).toBeGreaterThan(0);
    for (const round of ["miss or hit", "hit"]) {
      const zipped = await fetchList({ "accept-encoding": "br, gzip;q=0.8" });
      expect(zipped.headers.get("content-encoding"), round).toBe("gzip");
      expect(zipped.headers.get("vary")).toContain("Accept-Encoding");
      const bytes = new Uint8Array(await zipped.arrayBuffer());
      expect(new TextDecoder().decode(Bun.gunzipSync(bytes))).toBe(json);
    }
  });

  test("the cache never serves one user's list to another", async () => {
    const key = (await t.store.get("nothing")) ?? "";
    expect(key).toBe("");
    const asOwner = await list({ sort: "title" });
    const asViewer = await list({ sort: "title" }, viewer.token);
    expect(asViewer.text).toBe(asOwner.text);
    expect((await list({ sort: "title" }, outsider.token)).status).toBe(404);
  });
});

describe("list JSON cost", () => {
  test("api_timestamp() is inlined into the list's query, not called once per timestamp (migration 0016)", async () => {
    const rows = await t.sql.unsafe(
      "EXPLAIN (VERBOSE, COSTS OFF) SELECT api_timestamp(created_at) FROM tasks",
    );
    const plan = rows.map((row) => String(Object.values(row)[0])).join("\n");
    expect(plan).toContain("to_char(");
    expect(plan).not.toContain("api_timestamp(");
  });
});

describe("search plan", () => {
  test("on a large table the list's search query runs on the project search index (EXPLAIN)", async () => {
    const big = await t.createProject(owner, "Big");
    const others = await t.sql<{ id: string }[]>`
      INSERT INTO projects (name) SELECT 'filler ' || g FROM generate_series(1, 29) g RETURNING id`;
    const ids = [big, ...others.map((p) => p.id)];
    const words = ["alpha", "budget", "customer", "design", "export", "feature", "growth", "hiring"];
    await t.sql.begin(async (tx) => {
      // Seeding outlasts the API's 5 s statement timeout on a loaded machine.
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`
        INSERT INTO tasks (project_id, title, description, position)
        SELECT (${ids}::uuid[])[1 + g % 30], (${words}::text[])[1 + g % 8] || ' task ' || g,
               'notes about ' || (${words}::text[])[1 + (g / 8) % 8] || ' number ' || (g % 997), g
        FROM generate_series(1, 60000) g`;
      // What the user looks for is rare: a walk along the board order would read the whole project.
      await tx`
        INSERT INTO tasks (project_id, title, description, position)
        SELECT ${big}, 'Quarterly analytics review ' || g, '🚀 budget', 60000 + g FROM generate_series(1, 5) g`;
    });
    await t.sql`ANALYZE tasks`;
    const planOf = (q: string) =>
      planOfRequest(t.sql, "FROM tasks t WHERE", async () => {
        const res = await t.call("GET", `/api/tasks?${new URLSearchParams({ projectId: big, q })}`, {
          token: owner.token,
        });
        expect(res.status).toBe(200);
      });
    for (const q of ["analyt", "quarterly analy", "analytics 🚀", "review -hiring"]) {
      // The tsquery must be an index condition: the same index also matches on project_id alone.
      expect({ q, plan: await planOf(q) }).toEqual({
        q,
        plan: expect.stringMatching(
          /Bitmap Index Scan on tasks_project_search_idx.*\n\s+Index Cond: .*search @@/,
        ),
      });
    }
    // Emoji alone: no index can find them, but the scan stays inside the project.
    const emojiOnly = await planOf("🚀");
    expect(emojiOnly).not.toContain("Seq Scan on tasks");
    expect(emojiOnly).toMatch(/Index Scan using tasks_(active_position|position|board)_idx/);
  }, 120_000);
});
