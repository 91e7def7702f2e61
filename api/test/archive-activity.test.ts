// Where the two features meet: archive/restore of tasks and projects and label renames/deletes write
// activity rows in the transaction of the change (same xmin as the changed rows; a refused change
// writes none), an archived task keeps its history, and its checklist and comments are read-only
// with it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

// Real servers outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
let owner: TestUser;
let editor: TestUser;
let projectId: string;

const newTask = async (title: string, body: Record<string, unknown> = {}, project = projectId) =>
  (await t.call("POST", "/api/tasks", { token: editor.token, body: { projectId: project, title, ...body } }))
    .body as { id: string; version: number };
const newProject = (name: string) => t.createProject(owner, name, [[editor, "editor"]]);
/** The transaction id that wrote a row (xmin): rows written by one transaction share it. */
const taskXmin = async (id: string) =>
  (await t.sql<{ x: string }[]>`SELECT xmin::text AS x FROM tasks WHERE id = ${id}`)[0]?.x;
const activityOf = (where: { taskId: string } | { projectId: string }) =>
  "taskId" in where
    ? t.sql<{ kind: string; data: Record<string, unknown>; taskId: string | null; x: string }[]>`
        SELECT kind, data, task_id, xmin::text AS x FROM activity WHERE task_id = ${where.taskId} ORDER BY id`
    : t.sql<{ kind: string; data: Record<string, unknown>; taskId: string | null; x: string }[]>`
        SELECT kind, data, task_id, xmin::text AS x FROM activity WHERE project_id = ${where.projectId} ORDER BY id`;

beforeAll(async () => {
  t = await createTestApp();
  [owner, editor] = await Promise.all([t.signUp("Owner"), t.signUp("Editor")]);
  projectId = await newProject("Archive history");
}, 120_000);
afterAll(() => t.close());

describe("archive and restore record activity", () => {
  test("a task's archive and restore each write one row in the transaction that changed the task", async () => {
    const task = await newTask("Shelved");
    expect((await t.call("POST", `/api/tasks/${task.id}/archive`, { token: editor.token })).status).toBe(200);
    let rows = await activityOf({ taskId: task.id });
    expect(rows.map((row) => row.kind)).toEqual(["task.created", "task.archived"]);
    expect(rows.at(-1)?.data).toEqual({ title: "Shelved" });
    expect(rows.at(-1)?.x).toBe(await taskXmin(task.id));

    // Archiving again changes nothing and records nothing.
    await t.call("POST", `/api/tasks/${task.id}/archive`, { token: editor.token });
    expect(await activityOf({ taskId: task.id })).toHaveLength(2);

    await t.call("POST", `/api/tasks/${task.id}/restore`, { token: editor.token });
    rows = await activityOf({ taskId: task.id });
    expect(rows.map((row) => row.kind)).toEqual(["task.created", "task.archived", "task.restored"]);
    expect(rows.at(-1)?.x).toBe(await taskXmin(task.id));
  });

  test("a refused archive (stale If-Match) records nothing", async () => {
    const task = await newTask("Guarded");
    const stale = await t.call("POST", `/api/tasks/${task.id}/archive`, {
      token: editor.token,
      headers: { "if-match": `"${task.version + 3}"` },
    });
    expect(stale.status).toBe(409);
    expect((await activityOf({ taskId: task.id })).map((row) => row.kind)).toEqual(["task.created"]);
  });

  test("a project's archive and restore write project-level rows in the transaction that changed the project", async () => {
    const project = await newProject("Shelved project");
    const xmin = async () =>
      (await t.sql<{ x: string }[]>`SELECT xmin::text AS x FROM projects WHERE id = ${project}`)[0]?.x;
    await t.call("POST", `/api/projects/${project}/archive`, { token: owner.token });
    let rows = await activityOf({ projectId: project });
    expect(rows.map((row) => [row.kind, row.taskId])).toEqual([["project.archived", null]]);
    expect(rows[0]?.x).toBe(await xmin());
    // Editors cannot archive: nothing recorded.
    expect((await t.call("POST", `/api/projects/${project}/restore`, { token: editor.token })).status).toBe(
      403,
    );
    expect(await activityOf({ projectId: project })).toHaveLength(1);
    await t.call("POST", `/api/projects/${project}/restore`, { token: owner.token });
    rows = await activityOf({ projectId: project });
    expect(rows.map((row) => row.kind)).toEqual(["project.archived", "project.restored"]);
    expect(rows[1]?.x).toBe(await xmin());
    const feed = await t.call("GET", `/api/projects/${project}/activity`, { token: editor.token });
    expect(feed.body.items.map((entry: { kind: string }) => entry.kind)).toEqual([
      "project.restored",
      "project.archived",
    ]);
  });

  test("a label rename or delete writes one project-level row with the number of tasks, with the tasks' rewrite", async () => {
    const project = await newProject("Labelled");
    const one = await newTask("one", { labels: ["bug"] }, project);
    await newTask("two", { labels: ["bug"] }, project);
    const labels = (await t.call("GET", `/api/projects/${project}/labels`, { token: owner.token })).body
      .items;
    const bug = labels.find((label: { name: string }) => label.name === "bug");
    const url = `/api/projects/${project}/labels/${bug.id}`;
    expect((await t.call("PATCH", url, { token: owner.token, body: { name: "defect" } })).status).toBe(200);
    let last = (await activityOf({ projectId: project })).at(-1);
    expect(last).toMatchObject({
      kind: "label.renamed",
      taskId: null,
      data: { from: "bug", to: "defect", tasks: 2 },
    });
    expect(last?.x).toBe(await taskXmin(one.id));
    // A colour change alone records nothing.
    await t.call("PATCH", url, { token: owner.token, body: { color: "teal" } });
    expect((await activityOf({ projectId: project })).at(-1)?.kind).toBe("label.renamed");
    expect((await t.call("DELETE", url, { token: owner.token })).status).toBe(204);
    last = (await activityOf({ projectId: project })).at(-1);
    expect(last).toMatchObject({ kind: "label.deleted", taskId: null, data: { name: "defect", tasks: 2 } });
    expect(last?.x).toBe(await taskXmin(one.id));
  });
});

describe("an archived task", () => {
  test("keeps its history, checklist and comments; they stay readable and are read-only until restored", async () => {
    const task = await newTask("Discussed then shelved");
    const item = (
      await t.call("POST", `/api/tasks/${task.id}/checklist`, { token: editor.token, body: { text: "step" } })
    ).body;
    const comment = (
      await t.call("POST", `/api/tasks/${task.id}/comments`, { token: editor.token, body: { body: "note" } })
    ).body;
    await t.call("POST", `/api/tasks/${task.id}/archive`, { token: editor.token });

    const history = await t.call("GET", `/api/tasks/${task.id}/activity`, { token: editor.token });
    expect(history.status).toBe(200);
    expect(history.body.items.map((entry: { kind: string }) => entry.kind)).toEqual([
      "task.archived",
      "comment.added",
      "checklist.added",
      "task.created",
    ]);
    expect(
      (await t.call("GET", `/api/tasks/${task.id}/checklist`, { token: editor.token })).body.items,
    ).toHaveLength(1);
    expect(
      (await t.call("GET", `/api/tasks/${task.id}/comments`, { token: editor.token })).body.items,
    ).toHaveLength(1);

    const refused = [
      await t.call("POST", `/api/tasks/${task.id}/checklist`, {
        token: editor.token,
        body: { text: "more" },
      }),
      await t.call("PATCH", `/api/tasks/${task.id}/checklist/${item.id}`, {
        token: editor.token,
        body: { done: true },
      }),
      await t.call("POST", `/api/tasks/${task.id}/comments`, { token: editor.token, body: { body: "more" } }),
      await t.call("PATCH", `/api/tasks/${task.id}/comments/${comment.id}`, {
        token: editor.token,
        body: { body: "edited" },
      }),
      await t.call("DELETE", `/api/tasks/${task.id}/comments/${comment.id}`, { token: editor.token }),
    ];
    expect(refused.map((res) => [res.status, res.body.error?.code])).toEqual(
      Array.from({ length: 5 }, () => [409, "task_archived"]),
    );
    // Nothing of the refused writes reached the history.
    expect(await activityOf({ taskId: task.id })).toHaveLength(4);

    await t.call("POST", `/api/tasks/${task.id}/restore`, { token: editor.token });
    const added = await t.call("POST", `/api/tasks/${task.id}/checklist`, {
      token: editor.token,
      body: { text: "more" },
    });
    expect(added.status).toBe(201);
  });

  test("in an archived project, checklist and comment writes are 409 project_archived", async () => {
    const project = await newProject("Frozen project");
    const task = await newTask("inside", {}, project);
    await t.call("POST", `/api/projects/${project}/archive`, { token: owner.token });
    const checklist = await t.call("POST", `/api/tasks/${task.id}/checklist`, {
      token: editor.token,
      body: { text: "x" },
    });
    const comment = await t.call("POST", `/api/tasks/${task.id}/comments`, {
      token: editor.token,
      body: { body: "x" },
    });
    expect([checklist.body.error?.code, comment.body.error?.code]).toEqual([
      "project_archived",
      "project_archived",
    ]);
  });
});
