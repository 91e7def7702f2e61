// Status → per-project columns, expand step (migration 0004): the backfill, the previous API version's
// writes against the new schema, and this version setting column_id itself.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { migrations } from "../migrations/index.ts";
import type { Sql } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { createTestApp, freshRuntime, type TestApp } from "./support/harness.ts";

// Real servers outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

const BEFORE_COLUMNS = migrations.findIndex((migration) => migration.version === "0004_columns");
const THROUGH_COLUMNS = migrations.findIndex((migration) => migration.version === "0008_column_management");

/** The project's columns, in board order. */
const columnsOf = async (sql: Sql, projectId: string) => [
  ...(await sql<{ name: string; kind: string; position: number }[]>`
    SELECT name, kind, position FROM columns WHERE project_id = ${projectId} ORDER BY position`),
];

/** Tasks whose column is missing or not the column of their status. */
const mismatched = async (sql: Sql) => [
  ...(await sql<{ id: string; status: string; kind: string | null }[]>`
    SELECT t.id, t.status, c.kind FROM tasks t LEFT JOIN columns c ON c.id = t.column_id
    WHERE c.kind IS NULL OR c.kind::text <> t.status::text`),
];

const columnKindOf = async (sql: Sql, taskId: string) =>
  (
    await sql<{ kind: string | null }[]>`
      SELECT c.kind FROM tasks t LEFT JOIN columns c ON c.id = t.column_id WHERE t.id = ${taskId}`
  )[0]?.kind;

const DEFAULT_COLUMNS = [
  { name: "To do", kind: "todo", position: 1024 },
  { name: "In progress", kind: "in_progress", position: 2048 },
  { name: "Done", kind: "done", position: 3072 },
];

describe("against a database written by the previous version", () => {
  let data: Awaited<ReturnType<typeof freshRuntime>>;
  let userId: string;
  let projectId: string;

  beforeAll(async () => {
    data = await freshRuntime({}, undefined, migrations.slice(0, BEFORE_COLUMNS));
    const { sql } = data;
    const [user] = await sql<{ id: string }[]>`
      INSERT INTO users (email, name, password_hash) VALUES ('old@example.test', 'Old', 'x') RETURNING id`;
    userId = user?.id ?? "";
    const [project] = await sql<{ id: string }[]>`INSERT INTO projects (name) VALUES ('Before') RETURNING id`;
    projectId = project?.id ?? "";
    await sql`
      INSERT INTO tasks (project_id, title, status, position)
      SELECT ${projectId}, s::text || ' ' || g, s, g * 1024
      FROM unnest(ARRAY['todo', 'in_progress', 'done']::task_status[]) s, generate_series(1, 3) g`;
    // Up to this feature's migrations (later ones are tested with their own features).
    expect(await migrate(sql, migrations.slice(0, THROUGH_COLUMNS + 1))).toEqual([
      "0004_columns",
      "0006_checklists_comments_activity",
      "0007_archive_labels",
      "0008_column_management",
    ]);
  });
  afterAll(() => data.close());

  test("the migration gives every project the three default columns and every task its status's column", async () => {
    expect(await columnsOf(data.sql, projectId)).toEqual(DEFAULT_COLUMNS);
    expect(await mismatched(data.sql)).toEqual([]);
    const [{ count } = { count: 0 }] = await data.sql<{ count: number }[]>`
      SELECT count(*)::int AS count FROM tasks WHERE column_id IS NOT NULL`;
    expect(count).toBe(9);
  });

  // The statements below are the shapes the previous version sends: no column_id anywhere.
  test("its project inserts get the default columns", async () => {
    const [project] = await data.sql<{ id: string }[]>`
      INSERT INTO projects (name, description) VALUES ('Made by the old version', '') RETURNING id`;
    await data.sql`INSERT INTO project_members (project_id, user_id, role) VALUES (${project?.id ?? ""}, ${userId}, 'owner')`;
    expect(await columnsOf(data.sql, project?.id ?? "")).toEqual(DEFAULT_COLUMNS);
  });

  test("its task inserts and updates work, and column_id follows the status", async () => {
    const { sql } = data;
    const [task] = await sql<{ id: string }[]>`
      INSERT INTO tasks (project_id, title, description, status, priority, due_at, labels, assignee_id, position, completed_at)
      SELECT ${projectId}, 'old insert', '', 'in_progress', 'medium', NULL, '{}', NULL, coalesce(max(position), 0) + 1024, NULL
      FROM tasks WHERE project_id = ${projectId} AND status = 'in_progress'
      RETURNING id`;
    const id = task?.id ?? "";
    expect(await columnKindOf(sql, id)).toBe("in_progress");

    // An edit (every field written back, status included) and a move to another column.
    await sql`UPDATE tasks SET title = 'old edit', status = 'in_progress', version = version + 1 WHERE id = ${id}`;
    expect(await columnKindOf(sql, id)).toBe("in_progress");
    await sql`UPDATE tasks SET status = 'done', position = 5, completed_at = now(), version = version + 1 WHERE id = ${id}`;
    expect(await columnKindOf(sql, id)).toBe("done");
    // A write that leaves status alone leaves the column alone.
    await sql`UPDATE tasks SET assignee_id = NULL, version = version + 1 WHERE id = ${id}`;
    expect(await columnKindOf(sql, id)).toBe("done");

    // Its import: an upsert of rows without column_id.
    const rows = [
      { id, projectId, title: "restored", status: "todo", position: 1 },
      { id: crypto.randomUUID(), projectId, title: "imported", status: "done", position: 2 },
    ];
    await sql`
      INSERT INTO tasks ${sql(rows)}
      ON CONFLICT (id) DO UPDATE SET title = excluded.title, status = excluded.status, position = excluded.position`;
    expect(await columnKindOf(sql, id)).toBe("todo");
    expect(await columnKindOf(sql, rows[1]?.id ?? "")).toBe("done");

    expect(await mismatched(sql)).toEqual([]);
  });

  test("its project deletes take the columns and tasks along", async () => {
    const [project] = await data.sql<
      { id: string }[]
    >`INSERT INTO projects (name) VALUES ('Gone') RETURNING id`;
    await data.sql`INSERT INTO tasks (project_id, title, position) VALUES (${project?.id ?? ""}, 't', 1)`;
    await data.sql`DELETE FROM projects WHERE id = ${project?.id ?? ""}`;
    expect(await columnsOf(data.sql, project?.id ?? "")).toEqual([]);
    expect((await data.sql`SELECT 1 FROM tasks WHERE project_id = ${project?.id ?? ""}`).length).toBe(0);
  });
});

describe("this version", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  test("sets column_id with the status on every task write itself (the trigger is for the previous version)", async () => {
    // This file's own database: the trigger stays off for the rest of it.
    await t.sql`ALTER TABLE tasks DISABLE TRIGGER tasks_column_from_status`;
    const owner = await t.signUp("Owner");
    const projectId = await t.createProject(owner, "New");
    expect(await columnsOf(t.sql, projectId)).toEqual(DEFAULT_COLUMNS);

    const created = await t.call("POST", "/api/tasks", {
      token: owner.token,
      body: { projectId, title: "new", status: "in_progress" },
    });
    const id = created.body.id;
    expect(await columnKindOf(t.sql, id)).toBe("in_progress");
    await t.call("PATCH", `/api/tasks/${id}`, { token: owner.token, body: { status: "done" } });
    expect(await columnKindOf(t.sql, id)).toBe("done");
    await t.call("PATCH", `/api/tasks/${id}`, { token: owner.token, body: { title: "renamed" } });
    expect(await columnKindOf(t.sql, id)).toBe("done");
    const moved = await t.call("POST", `/api/tasks/${id}/move`, {
      token: owner.token,
      body: { status: "todo", position: 0 },
    });
    expect(moved.body.status).toBe("todo");
    expect(await columnKindOf(t.sql, id)).toBe("todo");
    // The answer names the column (migration 0008 step: columns are managed per project).
    const [todo] = await t.sql<{ id: string }[]>`
      SELECT id FROM columns WHERE project_id = ${projectId} AND kind = 'todo'`;
    expect(moved.body.columnId).toBe(todo?.id);
  });
});
