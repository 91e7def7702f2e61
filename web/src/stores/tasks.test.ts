import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ApiError, type api } from "../api/client";
import type { Task } from "../api/types";
import { byPosition, createTasksStore, positionAt } from "./tasks";
import { toasts } from "./toast";

let seq = 0;
function task(overrides: Partial<Task> = {}): Task {
  seq += 1;
  return {
    id: `t${seq}`,
    projectId: "p1",
    title: `Task ${seq}`,
    description: "",
    status: "todo",
    columnId: "",
    priority: "medium",
    dueAt: null,
    labels: [],
    assigneeId: null,
    position: seq * 1024,
    version: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    completedAt: null,
    archivedAt: null,
    recurrence: null,
    ...overrides,
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Client = typeof api;
function fakeClient(initial: Task[], overrides: Partial<Client> = {}) {
  const calls: string[] = [];
  const client = {
    tasks: async (params: Record<string, string | undefined>) => {
      calls.push(`list ${params.cursor ?? ""}`);
      return params.cursor
        ? { items: initial.slice(2), nextCursor: null }
        : { items: initial.slice(0, 2), nextCursor: initial.length > 2 ? "c2" : null };
    },
    deleteTask: async (id: string) => {
      calls.push(`delete ${id}`);
    },
    ...overrides,
  } as unknown as Client;
  return { client, calls };
}
const titles = (list: Task[]) => list.map((t) => t.title);

beforeEach(() => {
  seq = 0;
});

describe("positionAt", () => {
  const col = [task({ position: 1000 }), task({ position: 2000 })];
  test("between, before, after, empty", () => {
    expect(positionAt(col, 1)).toBe(1500);
    expect(positionAt(col, 0)).toBe(1000 - 1024);
    expect(positionAt(col, 2)).toBe(2000 + 1024);
    expect(positionAt(col, 99)).toBe(2000 + 1024);
    expect(positionAt([], 0)).toBe(1024);
  });
  test("byPosition breaks ties by id", () => {
    const a = task({ id: "a", position: 5 });
    const b = task({ id: "b", position: 5 });
    expect([b, a].sort(byPosition).map((t) => t.id)).toEqual(["a", "b"]);
  });
});

describe("tasks store", () => {
  test("loads every page and groups columns in board order", async () => {
    const items = [task({ position: 3000 }), task({ status: "done" }), task({ position: 100 })];
    const { client, calls } = fakeClient(items);
    const store = createTasksStore("p1", client);
    expect(store.state()).toBe("loading");
    await store.load();
    expect(store.state()).toBe("ready");
    expect(calls).toEqual(["list ", "list c2"]);
    expect(titles(store.column("todo"))).toEqual(["Task 3", "Task 1"]);
    expect(titles(store.column("done"))).toEqual(["Task 2"]);
  });

  test("creates are sent one after another, in the order they were made", async () => {
    const sent: string[] = [];
    const answers: (() => void)[] = [];
    const { client } = fakeClient([]);
    client.createTask = (input) => {
      sent.push(input.title);
      return new Promise((resolve) => {
        answers.push(() => resolve(task({ title: input.title, position: sent.length * 1024 })));
      });
    };
    const store = createTasksStore("p1", client);
    await store.load();
    const first = store.create({ title: "Gamma" });
    const second = store.create({ title: "Delta" });
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual(["Gamma"]);
    answers[0]?.();
    await first;
    const deadline = Date.now() + 2000;
    while (sent.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(sent).toEqual(["Gamma", "Delta"]);
    answers[1]?.();
    await second;
    expect(titles(store.column("todo"))).toEqual(["Gamma", "Delta"]);
  });

  test("a failed reload keeps the board on screen and tries again", async () => {
    const items = [task({ position: 1000 })];
    let failures = 1;
    const { client, calls } = fakeClient(items);
    const list = client.tasks;
    client.tasks = async (params) => {
      if (calls.length > 0 && failures > 0) {
        failures -= 1;
        calls.push("list failed");
        throw new ApiError(502, "bad_gateway", "bad gateway");
      }
      return list(params);
    };
    const store = createTasksStore("p1", client, 5);
    await store.load();
    await store.load();
    expect(store.state()).toBe("ready");
    expect(titles(store.column("todo"))).toEqual(["Task 1"]);
    const deadline = Date.now() + 2000;
    while (calls.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual(["list ", "list failed", "list "]);
    expect(store.state()).toBe("ready");
  });

  test("a failed load reports the error", async () => {
    const { client } = fakeClient([], {
      tasks: async () => {
        throw new ApiError(500, "internal_error", "boom");
      },
    });
    const store = createTasksStore("p1", client);
    await store.load();
    expect(store.state()).toBe("error");
    expect((store.error() as ApiError).status).toBe(500);
  });

  test("create shows a placeholder at once, then the server's task", async () => {
    const reply = deferred<Task>();
    const { client } = fakeClient([], { createTask: () => reply.promise });
    const store = createTasksStore("p1", client);
    await store.load();
    const created = store.create({ title: "New" });
    expect(store.tasks).toHaveLength(1);
    expect(store.tasks[0]?.id).toStartWith("temp-");
    reply.resolve(task({ id: "real", title: "New" }));
    await created;
    expect(store.tasks.map((t) => t.id)).toEqual(["real"]);
  });

  test("a refused create removes the placeholder and rethrows", async () => {
    const { client } = fakeClient([], {
      createTask: async () => {
        throw new ApiError(422, "validation_failed", "bad");
      },
    });
    const store = createTasksStore("p1", client);
    await store.load();
    await expect(store.create({ title: "x" })).rejects.toBeInstanceOf(ApiError);
    expect(store.tasks).toHaveLength(0);
  });

  test("the live echo of our own create replaces the placeholder (no duplicate)", async () => {
    const reply = deferred<Task>();
    const { client } = fakeClient([], { createTask: () => reply.promise });
    const store = createTasksStore("p1", client);
    await store.load();
    const created = store.create({ title: "Echo" });
    const real = task({ id: "real", title: "Echo" });
    store.apply({ type: "task.created", projectId: "p1", actorId: "u2", task: real });
    expect(store.tasks.map((t) => t.id)).toEqual(["real"]);
    reply.resolve(real);
    await created;
    expect(store.tasks.map((t) => t.id)).toEqual(["real"]);
  });

  test("update is optimistic, sends the edited version, and rolls back on 409", async () => {
    const original = task({ title: "Before", version: 3 });
    const reply = deferred<Task>();
    let sentVersion: number | undefined;
    const { client } = fakeClient([original], {
      updateTask: (_id: string, _patch: unknown, version?: number) => {
        sentVersion = version;
        return reply.promise;
      },
    });
    const store = createTasksStore("p1", client);
    await store.load();
    const pending = store.update(original.id, { title: "After" }, 2);
    expect(store.byId(original.id)?.title).toBe("After");
    expect(sentVersion).toBe(2);
    reply.reject(new ApiError(409, "conflict", "changed"));
    await expect(pending).rejects.toMatchObject({ status: 409 });
    expect(store.byId(original.id)?.title).toBe("Before");
  });

  test("update applies the server's answer (new version)", async () => {
    const original = task({ title: "Before", version: 1 });
    const { client } = fakeClient([original], {
      updateTask: async () => ({ ...original, title: "Server", version: 2 }),
    });
    const store = createTasksStore("p1", client);
    await store.load();
    await store.update(original.id, { title: "After" });
    expect(store.byId(original.id)).toMatchObject({ title: "Server", version: 2 });
  });

  test("move reorders at once and rolls back with a toast when refused", async () => {
    const a = task({ title: "A" });
    const b = task({ title: "B" });
    const reply = deferred<Task>();
    let sent: unknown[] = [];
    const { client } = fakeClient([a, b], {
      moveTask: (id: string, status: string, position: number) => {
        sent = [id, status, position];
        return reply.promise;
      },
    });
    const store = createTasksStore("p1", client);
    await store.load();
    const moving = store.move(b.id, "todo", 0);
    expect(titles(store.column("todo"))).toEqual(["B", "A"]);
    expect(sent).toEqual([b.id, "todo", 0]);
    reply.reject(new ApiError(403, "forbidden", "Viewers cannot move tasks"));
    await moving;
    expect(titles(store.column("todo"))).toEqual(["A", "B"]);
    expect(toasts().some((t) => t.kind === "error" && t.message === "Viewers cannot move tasks")).toBe(true);
  });

  test("move across columns; stale echoes are ignored while our request is in flight", async () => {
    const a = task({ title: "A", version: 1 });
    const reply = deferred<Task>();
    const { client } = fakeClient([a], { moveTask: () => reply.promise });
    const store = createTasksStore("p1", client);
    await store.load();
    const moving = store.move(a.id, "done", 0);
    expect(titles(store.column("done"))).toEqual(["A"]);
    // An older event (e.g. another tab's edit before our move) must not drag the card back.
    store.apply({
      type: "task.updated",
      projectId: "p1",
      actorId: "u2",
      task: { ...a, title: "A", version: 1 },
    });
    expect(titles(store.column("done"))).toEqual(["A"]);
    reply.resolve({ ...a, status: "done", position: 1024, version: 2 });
    await moving;
    expect(store.byId(a.id)).toMatchObject({ status: "done", version: 2 });
  });

  test("events from others: created, updated, moved, deleted; older versions ignored; other projects ignored", async () => {
    const a = task({ title: "A", version: 2 });
    const { client } = fakeClient([a]);
    const store = createTasksStore("p1", client);
    await store.load();
    store.apply({
      type: "task.created",
      projectId: "p1",
      actorId: "u2",
      task: task({ id: "x", title: "X", position: 0 }),
    });
    expect(titles(store.column("todo"))).toEqual(["X", "A"]);
    store.apply({
      type: "task.updated",
      projectId: "p1",
      actorId: "u2",
      task: { ...a, title: "A2", version: 3 },
    });
    expect(store.byId(a.id)?.title).toBe("A2");
    store.apply({
      type: "task.updated",
      projectId: "p1",
      actorId: "u2",
      task: { ...a, title: "old", version: 1 },
    });
    expect(store.byId(a.id)?.title).toBe("A2");
    store.apply({
      type: "task.moved",
      projectId: "p1",
      actorId: "u2",
      task: { ...a, title: "A2", status: "in_progress", version: 4 },
    });
    expect(titles(store.column("in_progress"))).toEqual(["A2"]);
    store.apply({ type: "task.created", projectId: "p2", actorId: "u2", task: task({ projectId: "p2" }) });
    expect(store.tasks).toHaveLength(2);
    store.apply({ type: "task.deleted", projectId: "p1", actorId: "u2", task: { id: "x", projectId: "p1" } });
    expect(store.tasks.map((t) => t.id)).toEqual([a.id]);
  });

  test("delete hides the task, Undo restores it, and the DELETE is sent only when the window closes", async () => {
    const a = task({ title: "Doomed" });
    const { client, calls } = fakeClient([a]);
    const store = createTasksStore("p1", client);
    await store.load();
    store.remove(a.id);
    expect(store.tasks).toHaveLength(0);
    const toast = toasts().find((t) => t.message.includes("Doomed"));
    expect(toast?.action?.label).toBe("Undo");
    toast?.action?.run();
    expect(store.byId(a.id)?.title).toBe("Doomed");
    store.flush();
    expect(calls.filter((c) => c.startsWith("delete"))).toEqual([]);

    store.remove(a.id);
    // A live update for a task we are deleting does not bring it back.
    store.apply({ type: "task.updated", projectId: "p1", actorId: "u2", task: { ...a, version: 9 } });
    expect(store.tasks).toHaveLength(0);
    store.flush();
    expect(calls.filter((c) => c.startsWith("delete"))).toEqual([`delete ${a.id}`]);
  });
});

/** A fetch the test answers by hand: each request waits until the test replies to it. */
type Call = {
  method: string;
  url: string;
  body: Record<string, unknown>;
  reply(status: number, body: unknown): void;
};
let calls: Call[] = [];
const realFetch = globalThis.fetch;
/** Lets every promise chain that can run, run (a turn of the event loop, not a timed wait). */
const flushed = () => new Promise((resolve) => setImmediate(resolve));
async function until(check: () => boolean, what: string) {
  for (let turn = 0; turn < 100; turn++) {
    if (check()) return;
    await flushed();
  }
  throw new Error(`never happened: ${what}`);
}

describe("tasks store over the real API client, several requests about one task", () => {
  beforeEach(() => {
    calls = [];
    globalThis.fetch = ((input: string | URL | Request, init: RequestInit = {}) =>
      new Promise<Response>((resolve) => {
        calls.push({
          method: init.method ?? "GET",
          url: String(input),
          body: init.body ? JSON.parse(String(init.body)) : {},
          reply: (status, body) =>
            resolve(
              new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }),
            ),
        });
      })) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  const loaded = async (items: Task[]) => {
    const store = createTasksStore("p1");
    const loading = store.load();
    await until(() => calls.length === 1, "the list request");
    calls[0]?.reply(200, { columns: [], tasks: items });
    await loading;
    calls = [];
    return store;
  };
  const moves = () => calls.filter((c) => c.url.endsWith("/move")).map((c) => c.body);
  const refuse = (call: Call | undefined) =>
    call?.reply(403, { error: { code: "forbidden", message: "You cannot move tasks in this project." } });

  test("a move issued while an earlier one is in flight is sent only after it ends; the card ends where the last put it", async () => {
    const a = task({ title: "A" });
    const store = await loaded([a, task({ title: "B", status: "done" })]);
    const first = store.move(a.id, "in_progress", 0);
    const second = store.move(a.id, "done", 0);
    expect(store.byId(a.id)?.status).toBe("done");
    await flushed();
    expect(moves()).toEqual([{ status: "in_progress", position: 0 }]);

    calls[0]?.reply(200, { ...a, status: "in_progress", version: 2 });
    await first;
    await until(() => calls.length === 2, "the second move request");
    expect(moves()).toEqual([
      { status: "in_progress", position: 0 },
      { status: "done", position: 0 },
    ]);
    // The first answer does not drag the card back while the second move is on its way.
    expect(titles(store.column("done"))).toEqual(["A", "B"]);

    calls[1]?.reply(200, { ...a, status: "done", position: 10, version: 3 });
    await second;
    expect(store.byId(a.id)).toMatchObject({ status: "done", position: 10, version: 3 });
  });

  test("the second move refused after the first succeeded: the card settles on the first move's result", async () => {
    const a = task({ title: "A" });
    const store = await loaded([a]);
    const first = store.move(a.id, "in_progress", 0);
    const second = store.move(a.id, "done", 0);
    calls[0]?.reply(200, { ...a, status: "in_progress", position: 5, version: 2 });
    await first;
    await until(() => calls.length === 2, "the second move request");
    refuse(calls[1]);
    await second;
    // The server's copy (version 2), so the next edit is not refused as stale.
    expect(store.byId(a.id)).toMatchObject({ status: "in_progress", position: 5, version: 2 });
    expect(toasts().some((t) => t.message === "You cannot move tasks in this project.")).toBe(true);
  });

  test("both moves refused: the card goes back to where it was", async () => {
    const a = task({ title: "A", position: 7 });
    const store = await loaded([a]);
    const first = store.move(a.id, "in_progress", 0);
    const second = store.move(a.id, "done", 0);
    refuse(calls[0]);
    await first;
    // The later move is still on its way: the card keeps showing it.
    expect(store.byId(a.id)?.status).toBe("done");
    await until(() => calls.length === 2, "the second move request");
    refuse(calls[1]);
    await second;
    expect(store.byId(a.id)).toMatchObject({ status: "todo", position: 7, version: 1 });
  });

  test("a rollback restores only the refused task, not changes to others made meanwhile", async () => {
    const a = task({ title: "A" });
    const b = task({ title: "B" });
    const store = await loaded([a, b]);
    const moving = store.move(a.id, "done", 0);
    store.apply({
      type: "task.updated",
      projectId: "p1",
      actorId: "u2",
      task: { ...b, title: "B edited elsewhere", version: 2 },
    });
    const editing = store.update(b.id, { priority: "urgent" });
    calls[1]?.reply(200, { ...b, title: "B edited elsewhere", priority: "urgent", version: 3 });
    await editing;
    refuse(calls[0]);
    await moving;
    expect(store.byId(a.id)?.status).toBe("todo");
    expect(store.byId(b.id)).toMatchObject({ title: "B edited elsewhere", priority: "urgent", version: 3 });
  });

  test("a task deleted and restored (Undo) while its move is in flight comes back at once", async () => {
    const a = task({ title: "A" });
    const store = await loaded([a]);
    const moving = store.move(a.id, "done", 0);
    store.remove(a.id);
    toasts()
      .find((t) => t.message.includes("“A”"))
      ?.action?.run();
    expect(titles(store.column("done"))).toEqual(["A"]);
    calls[0]?.reply(200, { ...a, status: "done", version: 2 });
    await moving;
    expect(store.byId(a.id)).toMatchObject({ status: "done", version: 2 });
  });

  test("someone else's edit that arrives while our move is in flight is kept", async () => {
    const a = task({ title: "A" });
    const store = await loaded([a]);
    const moving = store.move(a.id, "done", 0);
    // The server applied our move (version 2), then another member's rename (version 3), whose event
    // arrives before our answer.
    store.apply({
      type: "task.updated",
      projectId: "p1",
      actorId: "u2",
      task: { ...a, title: "Renamed by Bob", status: "done", version: 3 },
    });
    expect(store.byId(a.id)?.title).toBe("A");
    calls[0]?.reply(200, { ...a, status: "done", version: 2 });
    await moving;
    expect(store.byId(a.id)).toMatchObject({ title: "Renamed by Bob", status: "done", version: 3 });
  });
});
