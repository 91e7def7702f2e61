// Archive and managed labels (migration 0007): archive/restore of tasks and projects, the list's
// filters and cache, roles, events; labels managed per project with rename and delete reaching every
// task; the migration against a database of the previous version, and that version's writes against
// the new schema.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { migrations } from "../migrations/index.ts";
import type { Sql } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import type { StoredDomainEvent } from "../src/events/types.ts";
import { createTestApp, freshRuntime, type TestApp, type TestUser } from "./support/harness.ts";
import { planOfRequest, seedArchivedTasks } from "./support/query-plans.ts";

// Real servers outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let projectId: string;

type Task = { id: string; title: string; labels: string[]; version: number; archivedAt: string | null };

const newProject = (name: string) =>
  t.createProject(owner, name, [
    [editor, "editor"],
    [viewer, "viewer"],
  ]);
const create = async (body: Record<string, unknown>, token = editor.token, project = projectId) =>
  (await t.call("POST", "/api/tasks", { token, body: { projectId: project, ...body } })).body as Task;
const titles = async (query: string, project = projectId, token = viewer.token) => {
  const res = await t.call("GET", `/api/tasks?projectId=${project}&${query}`, { token });
  expect(res.status).toBe(200);
  return (res.body.items as Task[]).map((task) => task.title);
};
const labelsOf = async (project = projectId) =>
  (await t.call("GET", `/api/projects/${project}/labels`, { token: viewer.token })).body.items as {
    id: string;
    name: string;
    color: string;
  }[];
/** Events published since `from` (an event id), as clients read them. */
const eventsAfter = async (from: string) =>
  (await t.store.eventsSince(from)).events.map((event) => JSON.parse(event.data) as StoredDomainEvent);
const lastEventId = async () => (await t.store.eventsSince("0-0")).events.at(-1)?.id ?? "0-0";

beforeAll(async () => {
  t = await createTestApp();
  [owner, editor, viewer, outsider] = await Promise.all([
    t.signUp("Owner"),
    t.signUp("Editor"),
    t.signUp("Viewer"),
    t.signUp("Outsider"),
  ]);
  projectId = await newProject("Archive");
}, 120_000);
afterAll(() => t.close());

describe("archiving tasks", () => {
  test("an editor archives: off the default list (cached before), in archived=true and include; restore puts it back in place", async () => {
    const [a, b, c] = [
      await create({ title: "A" }),
      await create({ title: "B" }),
      await create({ title: "C" }),
    ];
    expect(await titles("")).toEqual(["A", "B", "C"]); // cached now: the archive must invalidate it
    const from = await lastEventId();

    const archived = await t.call("POST", `/api/tasks/${b?.id}/archive`, { token: editor.token });
    expect(archived.status).toBe(200);
    expect(archived.body.archivedAt).toBeString();
    expect(archived.body.version).toBe((b?.version ?? 0) + 1);
    expect(archived.headers.get("etag")).toBe(`"${archived.body.version}"`);
    expect(await titles("")).toEqual(["A", "C"]);
    expect(await titles("archived=false")).toEqual(["A", "C"]);
    expect(await titles("archived=true")).toEqual(["B"]);
    expect(await titles("archived=include")).toEqual(["A", "B", "C"]);
    // Search finds it only when asked.
    expect(await titles("q=B")).toEqual([]);
    expect(await titles("q=B&archived=include")).toEqual(["B"]);
    // Read by id as before.
    const read = await t.call("GET", `/api/tasks/${b?.id}`, { token: viewer.token });
    expect(read.body).toEqual(archived.body);

    // Archiving again changes nothing.
    const again = await t.call("POST", `/api/tasks/${b?.id}/archive`, { token: editor.token });
    expect(again.body).toEqual(archived.body);

    const restored = await t.call("POST", `/api/tasks/${b?.id}/restore`, { token: editor.token });
    expect(restored.status).toBe(200);
    expect(restored.body.archivedAt).toBeNull();
    expect(await titles("")).toEqual(["A", "B", "C"]);

    const events = await eventsAfter(from);
    expect(events.map((event) => [event.type, "task" in event ? event.task.id : null])).toEqual([
      ["task.archived", b?.id],
      ["task.restored", b?.id],
    ]);
    expect(a && c).toBeTruthy();
  });

  test("an archived task is read-only until restored (409), and a stale If-Match on archive is 409", async () => {
    const task = await create({ title: "Frozen" });
    const stale = await t.call("POST", `/api/tasks/${task.id}/archive`, {
      token: editor.token,
      headers: { "if-match": `"${task.version + 5}"` },
    });
    expect(stale.status).toBe(409);
    await t.call("POST", `/api/tasks/${task.id}/archive`, { token: editor.token });
    const patch = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: editor.token,
      body: { title: "x" },
    });
    expect(patch.status).toBe(409);
    expect(patch.body.error.code).toBe("task_archived");
    const move = await t.call("POST", `/api/tasks/${task.id}/move`, {
      token: editor.token,
      body: { status: "done", position: 0 },
    });
    expect(move.body.error.code).toBe("task_archived");
  });

  test("archived tasks take no place on the board: a move counts the cards in use only", async () => {
    const project = await newProject("Places");
    const [first, hidden, last] = [
      await create({ title: "first" }, editor.token, project),
      await create({ title: "hidden" }, editor.token, project),
      await create({ title: "last" }, editor.token, project),
    ];
    await t.call("POST", `/api/tasks/${hidden?.id}/archive`, { token: editor.token });
    // Index 1 on the board is between "first" and "last".
    const moved = await create({ title: "moved", status: "done" }, editor.token, project);
    await t.call("POST", `/api/tasks/${moved.id}/move`, {
      token: editor.token,
      body: { status: "todo", position: 1 },
    });
    expect(await titles("", project)).toEqual(["first", "moved", "last"]);
    expect(first && last).toBeTruthy();
  });

  test("roles: viewers neither archive nor restore; editors archive but only owners delete (after a confirmation in the app)", async () => {
    const task = await create({ title: "Roles" });
    expect((await t.call("POST", `/api/tasks/${task.id}/archive`, { token: viewer.token })).status).toBe(403);
    expect((await t.call("POST", `/api/tasks/${task.id}/archive`, { token: outsider.token })).status).toBe(
      404,
    );
    expect((await t.call("DELETE", `/api/tasks/${task.id}`, { token: editor.token })).status).toBe(403);
    expect((await t.call("DELETE", `/api/tasks/${task.id}`, { token: owner.token })).status).toBe(204);
  });
});

describe("archiving projects", () => {
  test("owners archive and restore; members still read; writes are 409 until restored", async () => {
    const project = await newProject("Shelved");
    const task = await create({ title: "kept", labels: ["x"] }, editor.token, project);
    expect((await t.call("POST", `/api/projects/${project}/archive`, { token: editor.token })).status).toBe(
      403,
    );
    const from = await lastEventId();
    const archived = await t.call("POST", `/api/projects/${project}/archive`, { token: owner.token });
    expect(archived.status).toBe(200);
    expect(archived.body.archivedAt).toBeString();
    const listed = await t.call("GET", "/api/projects", { token: viewer.token });
    expect(listed.body.items.find((p: { id: string }) => p.id === project).archivedAt).toBe(
      archived.body.archivedAt,
    );
    expect(await titles("", project)).toEqual(["kept"]);
    expect((await labelsOf(project)).map((label) => label.name)).toEqual(["x"]);

    const refused = [
      await t.call("POST", "/api/tasks", { token: editor.token, body: { projectId: project, title: "no" } }),
      await t.call("PATCH", `/api/tasks/${task.id}`, { token: editor.token, body: { title: "no" } }),
      await t.call("POST", `/api/tasks/${task.id}/move`, {
        token: editor.token,
        body: { status: "done", position: 0 },
      }),
      await t.call("POST", `/api/tasks/${task.id}/archive`, { token: editor.token }),
      await t.call("DELETE", `/api/tasks/${task.id}`, { token: owner.token }),
      await t.call("PATCH", `/api/projects/${project}`, { token: owner.token, body: { name: "no" } }),
      await t.call("POST", `/api/projects/${project}/labels`, { token: owner.token, body: { name: "no" } }),
    ];
    expect(refused.map((res) => `${res.status} ${res.body.error?.code}`)).toEqual(
      Array(refused.length).fill("409 project_archived"),
    );

    const restored = await t.call("POST", `/api/projects/${project}/restore`, { token: owner.token });
    expect(restored.body.archivedAt).toBeNull();
    expect(
      (await t.call("PATCH", `/api/tasks/${task.id}`, { token: editor.token, body: { title: "again" } }))
        .status,
    ).toBe(200);
    expect((await eventsAfter(from)).map((event) => event.type)).toEqual([
      "project.archived",
      "project.restored",
      "task.updated",
    ]);
    // An archived project can still be deleted by its owner.
    await t.call("POST", `/api/projects/${project}/archive`, { token: owner.token });
    expect((await t.call("DELETE", `/api/projects/${project}`, { token: owner.token })).status).toBe(204);
  });
});

describe("labels", () => {
  test("tagging with a new name creates the label (editors), with the default colour and an event", async () => {
    const project = await newProject("Tags");
    const from = await lastEventId();
    await create({ title: "one", labels: ["bug", "web"] }, editor.token, project);
    await create({ title: "two", labels: ["bug"] }, editor.token, project);
    expect((await labelsOf(project)).map(({ name, color }) => [name, color])).toEqual([
      ["bug", "slate"],
      ["web", "slate"],
    ]);
    const created = (await eventsAfter(from)).filter((event) => event.type === "label.created");
    expect(created.map((event) => ("label" in event ? event.label.name : ""))).toEqual(["bug", "web"]);
  });

  test("owners create, rename, recolour and delete; renames and deletes reach every task; the label filter follows", async () => {
    const project = await newProject("Managed");
    const one = await create({ title: "one", labels: ["bug", "web"] }, editor.token, project);
    const two = await create({ title: "two", labels: ["bug"] }, editor.token, project);
    await create({ title: "three" }, editor.token, project);
    expect(await titles("label=bug", project)).toEqual(["one", "two"]); // cached: the rename must invalidate

    const editorCreate = await t.call("POST", `/api/projects/${project}/labels`, {
      token: editor.token,
      body: { name: "nope" },
    });
    expect(editorCreate.status).toBe(403);
    const made = await t.call("POST", `/api/projects/${project}/labels`, {
      token: owner.token,
      body: { name: "design", color: "teal" },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ projectId: project, name: "design", color: "teal" });

    const bug = (await labelsOf(project)).find((label) => label.name === "bug");
    const url = `/api/projects/${project}/labels/${bug?.id}`;
    expect((await t.call("PATCH", url, { token: editor.token, body: { name: "x" } })).status).toBe(403);
    expect((await t.call("PATCH", url, { token: owner.token, body: { name: "design" } })).status).toBe(409);
    const from = await lastEventId();
    const renamed = await t.call("PATCH", url, {
      token: owner.token,
      body: { name: "defect", color: "red" },
    });
    expect(renamed.body).toMatchObject({ id: bug?.id, name: "defect", color: "red" });
    expect(await titles("label=bug", project)).toEqual([]);
    expect(await titles("label=defect", project)).toEqual(["one", "two"]);
    const oneNow = (await t.call("GET", `/api/tasks/${one.id}`, { token: viewer.token })).body as Task;
    expect(oneNow.labels).toEqual(["defect", "web"]);
    expect(oneNow.version).toBe(one.version + 1);
    const [updated] = await eventsAfter(from);
    expect(updated).toMatchObject({ type: "label.updated", previousName: "bug", tasks: 2 });

    const removed = await t.call("DELETE", url, { token: owner.token });
    expect(removed.status).toBe(204);
    expect((await t.call("GET", `/api/tasks/${two.id}`, { token: viewer.token })).body.labels).toEqual([]);
    expect((await labelsOf(project)).map((label) => label.name)).toEqual(["design", "web"]);
    expect((await t.call("DELETE", url, { token: owner.token })).status).toBe(404);
    expect((await t.call("GET", `/api/projects/${project}/labels`, { token: outsider.token })).status).toBe(
      404,
    );
  });
});

describe("the default list stays on its index", () => {
  test("with many archived tasks, the board's query runs on tasks_active_position_idx (EXPLAIN)", async () => {
    const big = await newProject("Big archive");
    await seedArchivedTasks(t.sql, big, 4);
    const plan = await planOfRequest(t.sql, "FROM tasks t WHERE", async () => {
      const res = await t.call("GET", `/api/tasks?projectId=${big}`, { token: owner.token });
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(50);
    });
    expect(plan).toMatch(/Index Scan using tasks_active_position_idx/);
    expect(plan).not.toContain("Seq Scan");
    expect(plan).not.toContain("Sort");
  }, 120_000);
});

describe("migration 0007 against a database written by the previous version", () => {
  const BEFORE = migrations.findIndex((migration) => migration.version === "0007_archive_labels");
  let data: Awaited<ReturnType<typeof freshRuntime>>;
  let projectA: string;
  let projectB: string;

  const labelRows = async (sql: Sql, project: string) => [
    ...(await sql<{ name: string; color: string }[]>`
      SELECT name, color FROM labels WHERE project_id = ${project} ORDER BY name`),
  ];

  beforeAll(async () => {
    data = await freshRuntime({}, undefined, migrations.slice(0, BEFORE));
    const { sql } = data;
    const [a, b] = await sql<{ id: string }[]>`INSERT INTO projects (name) VALUES ('A'), ('B') RETURNING id`;
    projectA = a?.id ?? "";
    projectB = b?.id ?? "";
    await sql`
      INSERT INTO tasks (project_id, title, labels, position) VALUES
        (${projectA}, 'a1', '{bug,web}', 1), (${projectA}, 'a2', '{bug}', 2), (${projectA}, 'a3', '{}', 3),
        (${projectB}, 'b1', '{web,"two words"}', 1)`;
    expect(await migrate(sql)).toContain("0007_archive_labels");
  });
  afterAll(() => data.close());

  test("each distinct free-text label of a project becomes a managed label with the default colour", async () => {
    expect(await labelRows(data.sql, projectA)).toEqual([
      { name: "bug", color: "slate" },
      { name: "web", color: "slate" },
    ]);
    expect(await labelRows(data.sql, projectB)).toEqual([
      { name: "two words", color: "slate" },
      { name: "web", color: "slate" },
    ]);
    const [{ archived } = { archived: -1 }] = await data.sql<{ archived: number }[]>`
      SELECT count(*)::int AS archived FROM tasks WHERE archived_at IS NOT NULL`;
    expect(archived).toBe(0);
  });

  // The shapes the previous version sends: tasks.labels written directly, no archived_at anywhere.
  test("its task inserts, edits and import upserts keep the labels table in step", async () => {
    const { sql } = data;
    const [task] = await sql<{ id: string }[]>`
      INSERT INTO tasks (project_id, title, description, status, priority, due_at, labels, assignee_id, position, completed_at)
      SELECT ${projectA}, 'old insert', '', 'todo', 'medium', NULL, '{ops}', NULL, coalesce(max(position), 0) + 1024, NULL
      FROM tasks WHERE project_id = ${projectA} AND status = 'todo'
      RETURNING id, project_id, title, description, status, priority, due_at, labels, assignee_id, position, version, created_at, updated_at, completed_at`;
    const id = task?.id ?? "";
    await sql`UPDATE tasks SET title = 'old edit', labels = '{ops,release}', version = version + 1 WHERE id = ${id}`;
    await sql`
      INSERT INTO tasks ${sql([{ id: crypto.randomUUID(), projectId: projectB, title: "imported", labels: ["legacy"], position: 9 }])}
      ON CONFLICT (id) DO UPDATE SET title = excluded.title, labels = excluded.labels`;
    expect((await labelRows(sql, projectA)).map((label) => label.name)).toEqual([
      "bug",
      "ops",
      "release",
      "web",
    ]);
    expect((await labelRows(sql, projectB)).map((label) => label.name)).toEqual([
      "legacy",
      "two words",
      "web",
    ]);
    // Its list query (no archived filter) still runs, and its project delete takes the labels along.
    const listed = await sql`
      SELECT id FROM tasks WHERE project_id = ${projectA} ORDER BY position, id LIMIT 51`;
    expect(listed.length).toBe(4);
    await sql`DELETE FROM projects WHERE id = ${projectB}`;
    expect(await labelRows(sql, projectB)).toEqual([]);
  });
});
