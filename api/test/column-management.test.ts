// Columns per project (issue 18): owners add, change, reorder and delete columns; tasks move by column
// or, as before, by status (the first column of its kind); done columns set completedAt; bad input and
// other projects' columns are 4xx; the board loads in a constant number of queries.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createApp } from "../src/app.ts";
import { createSql } from "../src/db/client.ts";
import { openEvents, payload } from "./support/client.ts";
import { createTestApp, freshRuntime, type TestApp, type TestUser } from "./support/harness.ts";
import { planOfRequest, seedArchivedTasks } from "./support/query-plans.ts";

setDefaultTimeout(60_000);

let t: TestApp;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let projectId: string;

const columnsOf = async (id = projectId) =>
  (await t.call("GET", `/api/projects/${id}/columns`, { token: owner.token })).body.items as {
    id: string;
    name: string;
    kind: string;
    done: boolean;
    wipLimit: number | null;
  }[];

const addColumn = (body: unknown, user = owner, id = projectId) =>
  t.call("POST", `/api/projects/${id}/columns`, { token: user.token, body });

const newTask = async (title: string, extra: Record<string, unknown> = {}) =>
  (await t.call("POST", "/api/tasks", { token: editor.token, body: { projectId, title, ...extra } })).body;

const move = (id: string, body: unknown, user = editor) =>
  t.call("POST", `/api/tasks/${id}/move`, { token: user.token, body });

beforeAll(async () => {
  t = await createTestApp();
  [owner, editor, viewer] = [await t.signUp("Owner"), await t.signUp("Editor"), await t.signUp("Viewer")];
  projectId = await t.createProject(owner, "Cols", [
    [editor, "editor"],
    [viewer, "viewer"],
  ]);
});
afterAll(() => t.close());

describe("columns", () => {
  test("a new project has To do / In progress / Done, Done being a done column", async () => {
    const columns = await columnsOf();
    expect(columns.map(({ name, kind, done, wipLimit }) => ({ name, kind, done, wipLimit }))).toEqual([
      { name: "To do", kind: "todo", done: false, wipLimit: null },
      { name: "In progress", kind: "in_progress", done: false, wipLimit: null },
      { name: "Done", kind: "done", done: true, wipLimit: null },
    ]);
    expect((await t.call("GET", `/api/projects/${projectId}/columns`, { token: viewer.token })).status).toBe(
      200,
    );
  });

  test("only owners manage columns", async () => {
    expect((await addColumn({ name: "Nope" }, editor)).status).toBe(403);
    expect((await addColumn({ name: "Nope" }, viewer)).status).toBe(403);
    const [first] = await columnsOf();
    const rename = await t.call("PATCH", `/api/projects/${projectId}/columns/${first?.id}`, {
      token: editor.token,
      body: { name: "x" },
    });
    expect(rename.status).toBe(403);
    const stranger = await t.signUp("Stranger");
    expect((await addColumn({ name: "Nope" }, stranger)).status).toBe(404);
  });

  test("tasks move by columnId; done columns set completedAt, leaving them clears it; status follows", async () => {
    const review = await addColumn({ name: "Review", wipLimit: 2 });
    expect(review.status).toBe(201);
    expect(review.body).toMatchObject({ name: "Review", kind: "in_progress", done: false, wipLimit: 2 });
    const [todo, progress, done] = await columnsOf();
    const task = await newTask("Write the post");
    expect(task.columnId).toBe(todo?.id);

    const toReview = await move(task.id, { columnId: review.body.id, position: 0 });
    expect(toReview.status).toBe(200);
    expect(toReview.body).toMatchObject({
      columnId: review.body.id,
      status: "in_progress",
      completedAt: null,
    });

    const toDone = await move(task.id, { columnId: done?.id, position: 0 });
    expect(toDone.body).toMatchObject({ columnId: done?.id, status: "done" });
    expect(toDone.body.completedAt).not.toBeNull();

    // The old shape still works: the first column of the status's kind.
    const back = await move(task.id, { status: "in_progress", position: 0 });
    expect(back.body).toMatchObject({ columnId: progress?.id, status: "in_progress", completedAt: null });

    // An edit that leaves status alone keeps the task in its column (Review is in_progress too).
    await move(task.id, { columnId: review.body.id, position: 0 });
    const edited = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: editor.token,
      body: { title: "Renamed", status: "in_progress" },
    });
    expect(edited.body.columnId).toBe(review.body.id);

    // Created straight into a column.
    const direct = await newTask("Straight to review", { columnId: review.body.id });
    expect(direct).toMatchObject({ columnId: review.body.id, status: "in_progress" });
    expect(
      (
        await t.call("POST", "/api/tasks", {
          token: editor.token,
          body: { projectId, title: "both", status: "todo", columnId: review.body.id },
        })
      ).status,
    ).toBe(422);
  });

  test("moves and status edits record the columns before → after in the task's activity", async () => {
    const [todo, progress] = await columnsOf();
    const second = await addColumn({ name: "Second to do", kind: "todo" });
    expect(second.status).toBe(201);
    const task = await newTask("Tracked");
    // Between two columns of one kind: the status stays, the columns differ.
    await move(task.id, { columnId: second.body.id, position: 0 });
    await t.call("PATCH", `/api/tasks/${task.id}`, { token: editor.token, body: { status: "in_progress" } });
    const activity = await t.call("GET", `/api/tasks/${task.id}/activity`, { token: viewer.token });
    const [updated, moved, created] = activity.body.items;
    expect(created).toMatchObject({
      kind: "task.created",
      data: { column: { id: todo?.id, name: "To do" } },
    });
    expect(moved).toMatchObject({
      kind: "task.moved",
      data: {
        from: "todo",
        to: "todo",
        fromColumn: { id: todo?.id, name: "To do" },
        toColumn: { id: second.body.id, name: "Second to do" },
      },
    });
    expect(updated).toMatchObject({
      kind: "task.updated",
      data: {
        changes: {
          status: { from: "todo", to: "in_progress" },
          column: { from: "Second to do", to: progress?.name },
        },
      },
    });
    await t.call("DELETE", `/api/projects/${projectId}/columns/${second.body.id}`, { token: owner.token });
  });

  test("a column id from another project is a 4xx, never a 500", async () => {
    const other = await t.createProject(owner, "Other");
    const [foreign] = await columnsOf(other);
    const task = await newTask("Stay home");
    const moved = await move(task.id, { columnId: foreign?.id, position: 0 });
    expect(moved.status).toBe(422);
    expect(moved.body.error.details[0].path).toBe("columnId");
    const created = await t.call("POST", "/api/tasks", {
      token: editor.token,
      body: { projectId, title: "x", columnId: foreign?.id },
    });
    expect(created.status).toBe(422);
    const patched = await t.call("PATCH", `/api/projects/${projectId}/columns/${foreign?.id}`, {
      token: owner.token,
      body: { name: "Mine now" },
    });
    expect(patched.status).toBe(404);
    const [mine] = await columnsOf();
    const deleted = await t.call(
      "DELETE",
      `/api/projects/${projectId}/columns/${mine?.id}?moveTo=${foreign?.id}`,
      {
        token: owner.token,
      },
    );
    expect([404, 409, 422]).toContain(deleted.status);
    expect((await move(task.id, { columnId: crypto.randomUUID(), position: 0 })).status).toBe(422);
    expect((await move(task.id, { position: 0 })).status).toBe(422);
  });

  test("rename, WIP limit, done toggle (its tasks' completedAt follow), reorder", async () => {
    const qa = (await addColumn({ name: "QA" })).body;
    const task = await newTask("Test it", { columnId: qa.id });
    const renamed = await t.call("PATCH", `/api/projects/${projectId}/columns/${qa.id}`, {
      token: owner.token,
      body: { name: "Quality", wipLimit: 3, done: true },
    });
    expect(renamed.body).toMatchObject({ name: "Quality", wipLimit: 3, done: true });
    const read = (await t.call("GET", `/api/tasks/${task.id}`, { token: viewer.token })).body;
    expect(read.completedAt).not.toBeNull();
    expect(read.version).toBe(task.version + 1);
    const cleared = await t.call("PATCH", `/api/projects/${projectId}/columns/${qa.id}`, {
      token: owner.token,
      body: { wipLimit: null, done: false, kind: "todo" },
    });
    expect(cleared.body).toMatchObject({ wipLimit: null, done: false, kind: "todo" });
    expect((await t.call("GET", `/api/tasks/${task.id}`, { token: viewer.token })).body).toMatchObject({
      status: "todo",
      columnId: qa.id,
      completedAt: null,
    });

    const reordered = await t.call("POST", `/api/projects/${projectId}/columns/${qa.id}/move`, {
      token: owner.token,
      body: { position: 0 },
    });
    expect(reordered.status).toBe(200);
    expect(reordered.body.items[0].id).toBe(qa.id);
    expect((await columnsOf()).map((c) => c.id)).toEqual(
      reordered.body.items.map((c: { id: string }) => c.id),
    );
    // Now QA (todo) is the first todo column: a status write lands there.
    const fresh = await newTask("Lands in QA");
    expect(fresh.columnId).toBe(qa.id);
    // Moved to the end again.
    const last = await t.call("POST", `/api/projects/${projectId}/columns/${qa.id}/move`, {
      token: owner.token,
      body: { position: 50 },
    });
    expect(last.body.items.at(-1).id).toBe(qa.id);
  });

  test("delete: a non-empty column needs moveTo (409 without), tasks keep their order at the end of it", async () => {
    const staging = (await addColumn({ name: "Staging" })).body;
    const a = await newTask("A", { columnId: staging.id });
    const b = await newTask("B", { columnId: staging.id });
    const [todo] = await columnsOf();
    const url = `/api/projects/${projectId}/columns/${staging.id}`;
    const refused = await t.call("DELETE", url, { token: owner.token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("column_not_empty");
    expect((await t.call("DELETE", `${url}?moveTo=${staging.id}`, { token: owner.token })).status).toBe(422);
    expect((await t.call("DELETE", `${url}?moveTo=${todo?.id}`, { token: editor.token })).status).toBe(403);
    const done = await columnsOf();
    const target = done.find((c) => c.name === "Done");
    expect((await t.call("DELETE", `${url}?moveTo=${target?.id}`, { token: owner.token })).status).toBe(204);
    const board = (await t.call("GET", `/api/projects/${projectId}/board`, { token: viewer.token })).body;
    const moved = board.tasks.filter((task: { id: string }) => task.id === a.id || task.id === b.id);
    expect(moved.map((task: { title: string }) => task.title)).toEqual(["A", "B"]);
    for (const task of moved) expect(task).toMatchObject({ columnId: target?.id, status: "done" });
    expect(moved.every((task: { completedAt: string | null }) => task.completedAt)).toBe(true);
    expect(board.columns.some((c: { id: string }) => c.id === staging.id)).toBe(false);
    // An empty column goes without moveTo.
    const empty = (await addColumn({ name: "Empty" })).body;
    expect(
      (await t.call("DELETE", `/api/projects/${projectId}/columns/${empty.id}`, { token: owner.token }))
        .status,
    ).toBe(204);
  });

  test("the project's last column of a kind stays (status needs it)", async () => {
    const doneColumns = (await columnsOf()).filter((c) => c.kind === "done");
    expect(doneColumns).toHaveLength(1);
    const url = `/api/projects/${projectId}/columns/${doneColumns[0]?.id}`;
    const refused = await t.call("DELETE", `${url}?moveTo=${(await columnsOf())[0]?.id}`, {
      token: owner.token,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("last_column_of_kind");
    const rekind = await t.call("PATCH", url, { token: owner.token, body: { kind: "todo" } });
    expect(rekind.status).toBe(409);
  });

  test("bad input: long, empty or NUL names, odd WIP limits, unknown fields, more than 50 columns", async () => {
    for (const body of [
      { name: "x".repeat(101) },
      { name: "   " },
      { name: "a\u0000b" },
      { name: "ok", wipLimit: 0 },
      { name: "ok", wipLimit: 1.5 },
      { name: "ok", kind: "blocked" },
      { name: "ok", color: "red" },
    ]) {
      const res = await addColumn(body);
      expect(res.status).toBe(422);
    }
    expect((await addColumn({ name: "é".repeat(100) })).status).toBe(201);
    const other = await t.createProject(owner, "Many");
    const answers: number[] = [];
    for (let i = 0; i < 48; i++) answers.push((await addColumn({ name: `C${i}` }, owner, other)).status);
    expect(answers.filter((s) => s === 201)).toHaveLength(47);
    const refused = await addColumn({ name: "One too many" }, owner, other);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("too_many_columns");
  });
});

describe("migration 0008 triggers (status and column_id kept in step both ways)", () => {
  test("a write of column_id alone sets the status; a column's kind change carries to its tasks in place", async () => {
    const extra = (await addColumn({ name: "Trigger", kind: "todo" })).body;
    const task = await newTask("Via SQL");
    const [done] = (await columnsOf()).filter((c) => c.kind === "done");
    const read = async () =>
      (
        await t.sql<{ status: string; columnId: string }[]>`
          SELECT status, column_id FROM tasks WHERE id = ${task.id}`
      )[0];
    await t.sql`UPDATE tasks SET column_id = ${done?.id ?? null} WHERE id = ${task.id}`;
    expect(await read()).toEqual({ status: "done", columnId: done?.id as string });
    await t.sql`UPDATE tasks SET column_id = ${extra.id} WHERE id = ${task.id}`;
    expect(await read()).toEqual({ status: "todo", columnId: extra.id });
    // The previous version changing status alone, to the kind the column already has: it stays.
    await t.sql`UPDATE tasks SET status = 'todo' WHERE id = ${task.id}`;
    expect(await read()).toEqual({ status: "todo", columnId: extra.id });
    await t.sql`UPDATE columns SET kind = 'in_progress' WHERE id = ${extra.id}`;
    expect(await read()).toEqual({ status: "in_progress", columnId: extra.id });
    // …and to another status: the first column of that kind, as in 0004.
    await t.sql`UPDATE tasks SET status = 'done' WHERE id = ${task.id}`;
    expect(await read()).toEqual({ status: "done", columnId: done?.id as string });
  });
});

describe("live", () => {
  test("column changes reach members' event streams: created, updated, reordered, deleted (and resync)", async () => {
    const base = t.listen();
    const stream = await openEvents(base, { token: viewer.token });
    try {
      await stream.waitFor((m) => m.event === "ready");
      const created = (await addColumn({ name: "Live" })).body;
      const url = `/api/projects/${projectId}/columns/${created.id}`;
      await t.call("PATCH", url, { token: owner.token, body: { name: "Live 2" } });
      await t.call("POST", `${url}/move`, { token: owner.token, body: { position: 0 } });
      await newTask("Riding along", { columnId: created.id });
      const [todo] = (await columnsOf()).filter((c) => c.kind === "todo" && c.id !== created.id);
      await t.call("DELETE", `${url}?moveTo=${todo?.id}`, { token: owner.token });
      const of = (event: string) => stream.waitFor((m) => m.event === event);
      expect(payload(await of("column.created")).column).toMatchObject({ id: created.id, name: "Live" });
      expect(payload(await of("column.updated")).column).toMatchObject({ id: created.id, name: "Live 2" });
      expect(payload(await of("column.reordered")).columns[0].id).toBe(created.id);
      expect(payload(await of("column.deleted"))).toMatchObject({
        projectId,
        column: { id: created.id },
        moveTo: todo?.id,
      });
      await stream.waitFor((m) => m.event === "resync" && payload(m).projectId === projectId);
    } finally {
      stream.close();
    }
  });
});

describe("the board", () => {
  test("loads in a constant number of queries: 3 columns and 5 tasks, or 20 columns and 1,000 tasks", async () => {
    const runtime = await freshRuntime();
    if (!runtime.databaseUrl) {
      await runtime.close();
      return; // embedded PGlite: no second client to count with
    }
    let queries = 0;
    const counted = createSql({ url: runtime.databaseUrl, max: 2, debug: () => void queries++ });
    const app = createApp({ ...runtime, sql: counted });
    const call = async (method: string, path: string, token?: string, body?: unknown) => {
      const response = await app.request(
        path,
        {
          method,
          headers: {
            "content-type": "application/json",
            "x-forwarded-for": "10.9.9.9",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        },
        { requestIP: () => ({ address: "127.0.0.1", family: "IPv4", port: 0 }) },
      );
      // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
      return { status: response.status, body: (await response.json()) as any };
    };
    try {
      const email = `board-${crypto.randomUUID().slice(0, 8)}@example.test`;
      const token = (
        await call("POST", "/api/auth/register", undefined, {
          email,
          password: "a sturdy passphrase 42",
          name: "B",
        })
      ).body.accessToken;
      const small = (await call("POST", "/api/projects", token, { name: "Small" })).body.id;
      const big = (await call("POST", "/api/projects", token, { name: "Big" })).body.id;
      for (let i = 0; i < 17; i++)
        await call("POST", `/api/projects/${big}/columns`, token, { name: `Step ${i}` });
      await counted`
        INSERT INTO tasks (project_id, title, column_id, status, position)
        SELECT ${big}, 'Task ' || g, c.id, c.kind::text::task_status, g * 1024
        FROM generate_series(1, 1000) g
        JOIN LATERAL (SELECT id, kind FROM columns WHERE project_id = ${big} ORDER BY position OFFSET g % 20 LIMIT 1) c ON true`;
      await counted`
        INSERT INTO tasks (project_id, title, status, position)
        SELECT ${small}, 'Task ' || g, 'todo', g * 1024 FROM generate_series(1, 5) g`;

      const load = async (id: string) => {
        queries = 0;
        const board = await call("GET", `/api/projects/${id}/board`, token);
        expect(board.status).toBe(200);
        return { queries, board: board.body };
      };
      const smallLoad = await load(small);
      const bigLoad = await load(big);
      expect(smallLoad.board.columns).toHaveLength(3);
      expect(smallLoad.board.tasks).toHaveLength(5);
      expect(bigLoad.board.columns).toHaveLength(20);
      expect(bigLoad.board.tasks).toHaveLength(1000);
      expect(bigLoad.queries).toBe(smallLoad.queries);
      // Membership, then the board itself.
      expect(bigLoad.queries).toBeGreaterThan(0);
      expect(bigLoad.queries).toBeLessThanOrEqual(2);
    } finally {
      await counted.end();
      await runtime.close();
    }
  });
});

describe("with archive (migration 0007)", () => {
  let archiveProject: string;
  const boardOf = async (id: string, user = editor) =>
    (await t.call("GET", `/api/projects/${id}/board`, { token: user.token })).body as {
      columns: { id: string; kind: string }[];
      tasks: { id: string; title: string; columnId: string; archivedAt: string | null }[];
    };
  const taskIn = async (title: string) =>
    (
      await t.call("POST", "/api/tasks", {
        token: editor.token,
        body: { projectId: archiveProject, title },
      })
    ).body as { id: string; columnId: string };
  const archive = (id: string) => t.call("POST", `/api/tasks/${id}/archive`, { token: editor.token });

  beforeAll(async () => {
    archiveProject = await t.createProject(owner, "Shelf", [[editor, "editor"]]);
  });

  test("the board leaves archived tasks out; moves count the cards in use only", async () => {
    const [a, b, c, d] = [await taskIn("a"), await taskIn("b"), await taskIn("c"), await taskIn("d")];
    expect((await archive(b.id)).status).toBe(200);
    const board = await boardOf(archiveProject);
    expect(board.tasks.map((task) => task.title)).toEqual(["a", "c", "d"]);
    expect(board.tasks.every((task) => task.archivedAt === null)).toBe(true);
    // Index 1 among a, c (d being moved): between a and c, whatever the archived b's position.
    const moved = await move(d.id, { columnId: a.columnId, position: 1 });
    expect(moved.status).toBe(200);
    expect((await boardOf(archiveProject)).tasks.map((task) => task.title)).toEqual(["a", "d", "c"]);
    // Restored, it is back where it was.
    await t.call("POST", `/api/tasks/${b.id}/restore`, { token: editor.token });
    expect((await boardOf(archiveProject)).tasks.map((task) => task.title)).toContain("b");
    expect(c.columnId).toBe(a.columnId);
  });

  test("moving an archived task, by column or by status, is refused (409 task_archived)", async () => {
    const task = await taskIn("shelved");
    await archive(task.id);
    const { columns } = await boardOf(archiveProject);
    const done = columns.find((column) => column.kind === "done");
    for (const body of [
      { columnId: done?.id, position: 0 },
      { status: "in_progress", position: 0 },
    ]) {
      const res = await move(task.id, body);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("task_archived");
    }
  });

  test("an archived project refuses column writes (409 project_archived); the board still reads", async () => {
    const [first, second] = (await boardOf(archiveProject)).columns;
    expect(
      (await t.call("POST", `/api/projects/${archiveProject}/archive`, { token: owner.token })).status,
    ).toBe(200);
    const base = `/api/projects/${archiveProject}/columns`;
    for (const [method, path, body] of [
      ["POST", base, { name: "Late" }],
      ["PATCH", `${base}/${first?.id}`, { name: "Renamed" }],
      ["POST", `${base}/${first?.id}/move`, { position: 2 }],
      ["DELETE", `${base}/${second?.id}?moveTo=${first?.id}`, undefined],
    ] as const) {
      const res = await t.call(method, path, { token: owner.token, body });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("project_archived");
    }
    expect(
      (await t.call("GET", `/api/projects/${archiveProject}/board`, { token: viewer.token })).status,
    ).toBe(404);
    expect((await boardOf(archiveProject)).columns.map((column) => column.id)).toContain(second?.id ?? "");
    await t.call("POST", `/api/projects/${archiveProject}/restore`, { token: owner.token });
    expect((await addColumn({ name: "Back" }, owner, archiveProject)).status).toBe(201);
  });

  test("with many archived tasks, the board reads its tasks from tasks_active_position_idx (EXPLAIN)", async () => {
    const big = await t.createProject(owner, "Big shelf");
    await seedArchivedTasks(t.sql, big, 3);
    const plan = await planOfRequest(t.sql, "string_agg", async () => {
      const res = await t.call("GET", `/api/projects/${big}/board`, { token: owner.token });
      expect(res.status).toBe(200);
      // Two of three of the project's 2,000 tasks are archived.
      expect(res.body.tasks).toHaveLength(666);
    });
    // A (bitmap) index scan of the partial index: archived rows are never read.
    expect(plan).toMatch(/Index Scan (using|on) tasks_active_position_idx/);
    expect(plan).not.toMatch(/Seq Scan on tasks/);
  }, 120_000);
});
