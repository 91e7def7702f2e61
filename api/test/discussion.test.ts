// Checklists, comments with mentions, and the activity history, on real PostgreSQL and Redis.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { migrations } from "../migrations/index.ts";
import { migrate } from "../src/db/migrate.ts";
import { createTestApp, freshRuntime, type TestApp, type TestUser } from "./support/harness.ts";

// Real servers and argon2id outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let projectId: string;

const newTask = async (title: string, token = owner.token) =>
  (await t.call("POST", "/api/tasks", { token, body: { projectId, title } })).body as { id: string };
const mention = (user: TestUser) => `@[${user.name}](user:${user.id})`;

beforeAll(async () => {
  t = await createTestApp();
  [owner, editor, viewer, outsider] = await Promise.all([
    t.signUp("Owner"),
    t.signUp("Editor"),
    t.signUp("Viewer"),
    t.signUp("Outsider"),
  ]);
  projectId = await t.createProject(owner, "Talk", [
    [editor, "editor"],
    [viewer, "viewer"],
  ]);
}, 120_000);
afterAll(() => t.close());

describe("checklists", () => {
  test("add, edit, tick, reorder, delete; viewers read only; outsiders get 404", async () => {
    const task = await newTask("Checklist");
    const path = `/api/tasks/${task.id}/checklist`;
    const ids: string[] = [];
    for (const text of ["one", "two", "three"]) {
      const res = await t.call("POST", path, { token: editor.token, body: { text } });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const ticked = await t.call("PATCH", `${path}/${ids[1]}`, { token: editor.token, body: { done: true } });
    expect(ticked.body.done).toBe(true);
    const edited = await t.call("PATCH", `${path}/${ids[0]}`, { token: owner.token, body: { text: "uno" } });
    expect(edited.body.text).toBe("uno");
    const moved = await t.call("POST", `${path}/${ids[2]}/move`, { token: editor.token, body: { index: 0 } });
    expect(moved.body.items.map((item: { text: string }) => item.text)).toEqual(["three", "uno", "two"]);
    expect((await t.call("DELETE", `${path}/${ids[0]}`, { token: editor.token })).status).toBe(204);

    const read = await t.call("GET", path, { token: viewer.token });
    expect(read.body.items.map((item: { text: string; done: boolean }) => [item.text, item.done])).toEqual([
      ["three", false],
      ["two", true],
    ]);
    expect((await t.call("POST", path, { token: viewer.token, body: { text: "no" } })).status).toBe(403);
    expect((await t.call("GET", path, { token: outsider.token })).status).toBe(404);
    expect(
      (await t.call("PATCH", `${path}/${ids[1]}`, { token: outsider.token, body: { done: false } })).status,
    ).toBe(404);
    // An item of another task is not found through this one.
    const other = await newTask("Other");
    expect(
      (
        await t.call("PATCH", `/api/tasks/${other.id}/checklist/${ids[1]}`, {
          token: owner.token,
          body: { done: false },
        })
      ).status,
    ).toBe(404);
  });

  test("a task holds at most 200 items; concurrent adds do not pass the cap", async () => {
    const task = await newTask("Capped");
    await t.sql`INSERT INTO checklist_items (task_id, text, position)
      SELECT ${task.id}, 'item ' || n, n * 1024 FROM generate_series(1, 195) n`;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        t.call("POST", `/api/tasks/${task.id}/checklist`, {
          token: owner.token,
          body: { text: `extra ${n}` },
        }),
      ),
    );
    expect(answers.filter((res) => res.status === 201)).toHaveLength(5);
    expect(answers.filter((res) => res.status === 422)).toHaveLength(5);
    const [row] = await t.sql`SELECT count(*)::int AS count FROM checklist_items WHERE task_id = ${task.id}`;
    expect(row?.count).toBe(200);
  });
});

describe("the task list's hasOpenChecklist filter", () => {
  test("true: tasks with an unticked item; false: the others; cached lists follow every checklist write", async () => {
    const project = await t.createProject(owner, "Open items", [
      [editor, "editor"],
      [viewer, "viewer"],
    ]);
    const add = async (title: string) =>
      (await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: project, title } })).body
        .id as string;
    const [open, ticked, bare] = [await add("Open"), await add("Ticked"), await add("Bare")];
    const item = (
      await t.call("POST", `/api/tasks/${open}/checklist`, { token: owner.token, body: { text: "a" } })
    ).body.id as string;
    await t.call("POST", `/api/tasks/${ticked}/checklist`, {
      token: owner.token,
      body: { text: "b", done: true },
    });
    const titles = async (value: string) => {
      const res = await t.call("GET", `/api/tasks?projectId=${project}&hasOpenChecklist=${value}`, {
        token: owner.token,
      });
      expect(res.status).toBe(200);
      return (res.body.items as { title: string }[]).map((task) => task.title);
    };
    const version = async () =>
      (await t.sql<{ v: string }[]>`SELECT tasks_version::text AS v FROM projects WHERE id = ${project}`)[0]
        ?.v;
    // Each list asked twice: the second answer comes from the cache, keyed by tasks_version.
    const both = async () => {
      const first = [await titles("true"), await titles("false")];
      expect([await titles("true"), await titles("false")]).toEqual(first);
      return first;
    };
    expect(await both()).toEqual([["Open"], ["Ticked", "Bare"]]);

    const before = await version();
    await t.call("PATCH", `/api/tasks/${open}/checklist/${item}`, {
      token: editor.token,
      body: { done: true },
    });
    expect(await version()).not.toBe(before);
    expect(await both()).toEqual([[], ["Open", "Ticked", "Bare"]]);
    const added = (
      await t.call("POST", `/api/tasks/${bare}/checklist`, { token: editor.token, body: { text: "c" } })
    ).body.id as string;
    expect(await both()).toEqual([["Bare"], ["Open", "Ticked"]]);
    await t.call("DELETE", `/api/tasks/${bare}/checklist/${added}`, { token: editor.token });
    expect(await both()).toEqual([[], ["Open", "Ticked", "Bare"]]);
    // A refused write (a viewer's) changes nothing, and a wrong value is a 422 naming the parameter.
    expect(
      (await t.call("POST", `/api/tasks/${bare}/checklist`, { token: viewer.token, body: { text: "no" } }))
        .status,
    ).toBe(403);
    expect(await both()).toEqual([[], ["Open", "Ticked", "Bare"]]);
    for (const value of ["yes", "1", ""]) {
      const res = await t.call("GET", `/api/tasks?projectId=${project}&hasOpenChecklist=${value}`, {
        token: owner.token,
      });
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.body.error.details)).toContain("hasOpenChecklist");
    }
  });
});

describe("comments", () => {
  test("viewers comment; authors edit their own; owners delete any; newest last", async () => {
    const task = await newTask("Discuss");
    const path = `/api/tasks/${task.id}/comments`;
    const first = await t.call("POST", path, { token: viewer.token, body: { body: "From a viewer" } });
    expect(first.status).toBe(201);
    expect(first.body.authorName).toBe("Viewer");
    const second = await t.call("POST", path, {
      token: editor.token,
      body: { body: `Hi ${mention(viewer)}` },
    });
    expect(second.body.mentions).toEqual([viewer.id]);

    expect(
      (await t.call("PATCH", `${path}/${first.body.id}`, { token: editor.token, body: { body: "not mine" } }))
        .status,
    ).toBe(403);
    const edited = await t.call("PATCH", `${path}/${first.body.id}`, {
      token: viewer.token,
      body: { body: "Edited" },
    });
    expect(edited.body.body).toBe("Edited");
    expect((await t.call("DELETE", `${path}/${second.body.id}`, { token: viewer.token })).status).toBe(403);
    expect((await t.call("DELETE", `${path}/${second.body.id}`, { token: owner.token })).status).toBe(204);
    await t.call("POST", path, { token: owner.token, body: { body: "Last" } });
    const listed = await t.call("GET", path, { token: viewer.token });
    expect(listed.body.items.map((comment: { body: string }) => comment.body)).toEqual(["Edited", "Last"]);
    expect((await t.call("GET", path, { token: outsider.token })).status).toBe(404);
  });

  test("mentions are stored by id and queryable; non-members are refused with 422", async () => {
    const task = await newTask("Mentions");
    const path = `/api/tasks/${task.id}/comments`;
    const res = await t.call("POST", path, {
      token: owner.token,
      body: { body: `${mention(editor)} and ${mention(viewer)} and again ${mention(editor)}` },
    });
    expect(res.body.mentions.sort()).toEqual([editor.id, viewer.id].sort());
    const rows = await t.sql`SELECT user_id FROM comment_mentions WHERE comment_id = ${res.body.id}`;
    expect(rows).toHaveLength(2);

    const refused = await t.call("POST", path, {
      token: owner.token,
      body: { body: `hey ${mention(outsider)}` },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].path).toBe("body");
    const unknown = `@[Ghost](user:${crypto.randomUUID()})`;
    expect((await t.call("POST", path, { token: owner.token, body: { body: unknown } })).status).toBe(422);
    // Editing replaces the mentions.
    const edited = await t.call("PATCH", `${path}/${res.body.id}`, {
      token: owner.token,
      body: { body: "no one" },
    });
    expect(edited.body.mentions).toEqual([]);
  });
});

describe("activity", () => {
  test("every change is recorded with who and before → after, newest first, paged, members only", async () => {
    const task = await newTask("History", editor.token);
    await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: editor.token,
      body: { title: "History 2", priority: "high" },
    });
    await t.call("POST", `/api/tasks/${task.id}/move`, {
      token: owner.token,
      body: { status: "done", position: 0 },
    });
    const item = await t.call("POST", `/api/tasks/${task.id}/checklist`, {
      token: editor.token,
      body: { text: "a" },
    });
    await t.call("PATCH", `/api/tasks/${task.id}/checklist/${item.body.id}`, {
      token: editor.token,
      body: { done: true },
    });
    await t.call("POST", `/api/tasks/${task.id}/comments`, { token: viewer.token, body: { body: "Nice" } });

    const res = await t.call("GET", `/api/tasks/${task.id}/activity`, { token: viewer.token });
    expect(res.status).toBe(200);
    const kinds = res.body.items.map((entry: { kind: string }) => entry.kind);
    expect(kinds).toEqual([
      "comment.added",
      "checklist.checked",
      "checklist.added",
      "task.moved",
      "task.updated",
      "task.created",
    ]);
    const updated = res.body.items[4];
    expect(updated.actorName).toBe("Editor");
    expect(updated.data.changes).toEqual({
      title: { from: "History", to: "History 2" },
      priority: { from: "medium", to: "high" },
    });
    expect(res.body.items[3].data).toMatchObject({
      from: "todo",
      to: "done",
      fromColumn: { name: "To do" },
      toColumn: { name: "Done" },
    });

    const page1 = await t.call("GET", `/api/tasks/${task.id}/activity?limit=4`, { token: owner.token });
    expect(page1.body.items).toHaveLength(4);
    const page2 = await t.call(
      "GET",
      `/api/tasks/${task.id}/activity?limit=4&cursor=${page1.body.nextCursor}`,
      {
        token: owner.token,
      },
    );
    expect(page2.body.items.map((entry: { kind: string }) => entry.kind)).toEqual([
      "task.updated",
      "task.created",
    ]);
    expect(page2.body.nextCursor).toBeNull();

    expect((await t.call("GET", `/api/tasks/${task.id}/activity`, { token: outsider.token })).status).toBe(
      404,
    );
    expect(
      (await t.call("GET", `/api/projects/${projectId}/activity`, { token: outsider.token })).status,
    ).toBe(404);
    const feed = await t.call("GET", `/api/projects/${projectId}/activity?limit=100`, {
      token: viewer.token,
    });
    expect(feed.body.items.length).toBeGreaterThanOrEqual(6);
  });

  test("a change and its activity commit together: a refused write records nothing", async () => {
    const task = await newTask("Atomic");
    const before = await t.sql`SELECT count(*)::int AS count FROM activity WHERE task_id = ${task.id}`;
    const refused = await t.call("POST", `/api/tasks/${task.id}/comments`, {
      token: owner.token,
      body: { body: mention(outsider) },
    });
    expect(refused.status).toBe(422);
    const stale = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: owner.token,
      body: { title: "x" },
      headers: { "if-match": '"99"' },
    });
    expect(stale.status).toBe(409);
    const after = await t.sql`SELECT count(*)::int AS count FROM activity WHERE task_id = ${task.id}`;
    expect(after[0]?.count).toBe(before[0]?.count);
  });

  test("deleting a task keeps its history in the project feed; deleting the project removes it", async () => {
    const scratch = await t.createProject(owner, "Scratch");
    const task = (
      await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: scratch, title: "Gone" } })
    ).body;
    await t.call("DELETE", `/api/tasks/${task.id}`, { token: owner.token });
    const feed = await t.call("GET", `/api/projects/${scratch}/activity`, { token: owner.token });
    expect(feed.body.items[0]).toMatchObject({ kind: "task.deleted", taskId: null, data: { title: "Gone" } });
    await t.call("DELETE", `/api/projects/${scratch}`, { token: owner.token });
    const [row] = await t.sql`SELECT count(*)::int AS count FROM activity WHERE project_id = ${scratch}`;
    expect(row?.count).toBe(0);
  });
});

describe("board counts", () => {
  test("checklist progress and comment counts for the whole board in a constant number of queries", async () => {
    const board = await t.createProject(owner, "Counts");
    const addTasks = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const task = (
          await t.call("POST", "/api/tasks", {
            token: owner.token,
            body: { projectId: board, title: `T${i}` },
          })
        ).body;
        await t.sql`INSERT INTO checklist_items (task_id, text, done, position)
          VALUES (${task.id}, 'a', true, 1), (${task.id}, 'b', false, 2)`;
        await t.sql`INSERT INTO comments (task_id, author_id, body) VALUES (${task.id}, ${owner.id}, 'hi')`;
      }
    };
    const countQueries = async () => {
      let queries = 0;
      const options = t.sql.options as { debug?: unknown };
      options.debug = () => {
        queries++;
      };
      try {
        const res = await t.call("GET", `/api/projects/${board}/task-counts`, { token: owner.token });
        expect(res.status).toBe(200);
        return {
          queries,
          items: res.body.items as { checklistDone: number; checklistTotal: number; comments: number }[],
        };
      } finally {
        options.debug = undefined;
      }
    };
    await addTasks(2);
    const small = await countQueries();
    expect(small.items).toHaveLength(2);
    expect(small.items[0]).toMatchObject({ checklistDone: 1, checklistTotal: 2, comments: 1 });
    await addTasks(20);
    const large = await countQueries();
    expect(large.items).toHaveLength(22);
    expect(large.queries).toBe(small.queries);
    expect(large.queries).toBeLessThanOrEqual(3);
  });

  test("the counts query reads checklists and comments through their task_id indexes", async () => {
    const rows = await t.sql.begin(async (tx) => {
      await tx`SET LOCAL enable_seqscan = off`;
      return tx.unsafe(
        `EXPLAIN SELECT count(*) FROM checklist_items i JOIN tasks it ON it.id = i.task_id WHERE it.project_id = '${projectId}'
         UNION ALL SELECT count(*) FROM comments k JOIN tasks kt ON kt.id = k.task_id WHERE kt.project_id = '${projectId}'`,
      );
    });
    const plan = rows.map((row) => Object.values(row)[0]).join("\n");
    expect(plan).toContain("checklist_items_task_idx");
    expect(plan).toContain("comments_task_idx");
  });
});

describe("migration 0006 is expand-only", () => {
  test("the previous version's statements keep working against the new schema", async () => {
    const before = migrations.findIndex((m) => m.version === "0006_checklists_comments_activity");
    const data = await freshRuntime({}, undefined, migrations.slice(0, before));
    try {
      const { sql } = data;
      const [user] = await sql<{ id: string }[]>`
        INSERT INTO users (email, name, password_hash) VALUES ('prev@example.test', 'Prev', 'x') RETURNING id`;
      const [project] = await sql<{ id: string }[]>`INSERT INTO projects (name) VALUES ('Prev') RETURNING id`;
      await sql`INSERT INTO project_members (project_id, user_id, role) VALUES (${project?.id ?? ""}, ${user?.id ?? ""}, 'owner')`;
      expect(await migrate(sql)).toEqual(migrations.slice(before).map((m) => m.version));
      // The new version's rows exist beside the old version's writes.
      const [task] = await sql<{ id: string }[]>`
        INSERT INTO tasks (project_id, title, position) VALUES (${project?.id ?? ""}, 'Old', 1024) RETURNING id`;
      const taskId = task?.id ?? "";
      await sql`INSERT INTO checklist_items (task_id, text, position) VALUES (${taskId}, 'a', 1)`;
      await sql`INSERT INTO comments (task_id, author_id, body) VALUES (${taskId}, ${user?.id ?? ""}, 'hi')`;
      await sql`INSERT INTO activity (project_id, task_id, actor_id, kind) VALUES (${project?.id ?? ""}, ${taskId}, ${user?.id ?? ""}, 'task.created')`;
      // The old version's UPDATE and DELETE shapes: a task with a checklist, comments and history goes.
      await sql`UPDATE tasks SET title = 'Old 2', version = version + 1, updated_at = now() WHERE id = ${taskId}`;
      await sql`DELETE FROM tasks WHERE id = ${taskId}`;
      const [left] = await sql<{ items: number; comments: number; activity: number }[]>`
        SELECT (SELECT count(*)::int FROM checklist_items) AS items, (SELECT count(*)::int FROM comments) AS comments,
          (SELECT count(*)::int FROM activity WHERE task_id IS NULL) AS activity`;
      expect(left).toEqual({ items: 0, comments: 0, activity: 1 });
      // Deleting a user (account removal) or the project leaves nothing dangling.
      await sql`DELETE FROM users WHERE id = ${user?.id ?? ""}`;
      await sql`DELETE FROM projects WHERE id = ${project?.id ?? ""}`;
      const [rest] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM activity`;
      expect(rest?.count).toBe(0);
    } finally {
      await data.close();
    }
  });
});

describe("metrics", () => {
  test("the board, column, checklist, comment and activity routes are counted by route template, never by id", async () => {
    const task = await newTask("Measured");
    const columns = (await t.call("GET", `/api/projects/${projectId}/columns`, { token: owner.token })).body
      .items as { id: string }[];
    const item = await t.call("POST", `/api/tasks/${task.id}/checklist`, {
      token: owner.token,
      body: { text: "x" },
    });
    const comment = await t.call("POST", `/api/tasks/${task.id}/comments`, {
      token: owner.token,
      body: { body: "y" },
    });
    const calls: [string, string, unknown?][] = [
      ["GET", `/api/projects/${projectId}/board`],
      ["PATCH", `/api/projects/${projectId}/columns/${columns[0]?.id}`, { wipLimit: 5 }],
      ["PATCH", `/api/tasks/${task.id}/checklist/${item.body.id}`, { done: true }],
      ["PATCH", `/api/tasks/${task.id}/comments/${comment.body.id}`, { body: "z" }],
      ["GET", `/api/tasks/${task.id}/activity`],
      ["GET", `/api/projects/${projectId}/task-counts`],
      ["POST", `/api/tasks/${task.id}/move`, { columnId: columns[1]?.id, position: 0 }],
      ["GET", `/api/tasks?projectId=${projectId}&hasOpenChecklist=true`],
    ];
    for (const [method, path, body] of calls) {
      const res = await t.call(method, path, { token: owner.token, body });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    const text = (await t.call("GET", "/metrics")).text;
    for (const [method, route] of [
      ["GET", "/api/projects/:id/board"],
      ["PATCH", "/api/projects/:id/columns/:columnId"],
      ["POST", "/api/tasks/:id/checklist"],
      ["PATCH", "/api/tasks/:id/checklist/:itemId"],
      ["POST", "/api/tasks/:id/comments"],
      ["PATCH", "/api/tasks/:id/comments/:commentId"],
      ["GET", "/api/tasks/:id/activity"],
      ["GET", "/api/projects/:id/task-counts"],
      ["POST", "/api/tasks/:id/move"],
    ]) {
      expect(text).toContain(`http_requests_total{method="${method}",route="${route}",status=`);
    }
    expect(text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
