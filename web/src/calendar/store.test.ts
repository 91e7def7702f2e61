import { describe, expect, test } from "bun:test";
import { baseTask, deferred } from "../../test/fixtures";
import { ApiError } from "../api/http";
import type { LiveEvent, Task } from "../api/types";
import { createCalendarStore } from "./store";

const DECEMBER = { from: "2026-12-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" };
const task = (id: string, dueAt: string, extra: Partial<Task> = {}): Task => ({
  ...baseTask,
  id,
  title: id,
  dueAt,
  ...extra,
});
const event = (type: "task.updated" | "task.created", t: Task) =>
  ({ type, projectId: t.projectId, actorId: "u9", task: t }) as LiveEvent;

/** Lets the requests queued so far go out (they start in a microtask). */
const queued = () => new Promise<void>((resolve) => queueMicrotask(resolve));

function setup(items: Task[]) {
  const patches: { id: string; dueAt: unknown; version?: number }[] = [];
  let answer = (id: string, dueAt: string, version?: number): Promise<Task> =>
    Promise.resolve({ ...(items.find((t) => t.id === id) as Task), dueAt, version: (version ?? 0) + 1 });
  const store = createCalendarStore(
    () => "me",
    () => "UTC",
    {
      due: async () => ({ items, truncated: false }),
      updateTask: (id, input, version) => {
        patches.push({ id, dueAt: input.dueAt, version });
        return answer(id, input.dueAt as string, version);
      },
    },
  );
  return { store, patches, answerWith: (f: typeof answer) => (answer = f) };
}

describe("calendar store", () => {
  test("a move shows at once, keeps the time of day, sends If-Match and takes the server's copy", async () => {
    const { store, patches, answerWith } = setup([task("a", "2026-12-15T14:30:00.000Z", { version: 3 })]);
    await store.load(DECEMBER);
    const gate = deferred<Task>();
    answerWith(() => gate.promise);
    const moved = store.moveToDay("a", "2026-12-18");
    const shown = new Date(store.tasks[0]?.dueAt as string);
    await queued();
    expect(shown.getDate()).toBe(18);
    expect(shown.getTime() - new Date("2026-12-15T14:30:00.000Z").getTime()).toBe(3 * 86_400_000);
    expect(patches).toEqual([{ id: "a", dueAt: store.tasks[0]?.dueAt, version: 3 }]);
    gate.resolve(task("a", store.tasks[0]?.dueAt as string, { version: 4 }));
    await moved;
    expect(store.tasks[0]?.version).toBe(4);
  });

  test("a refused move goes back to its day and rejects", async () => {
    const { store, answerWith } = setup([task("a", "2026-12-15T14:30:00.000Z")]);
    await store.load(DECEMBER);
    answerWith(() => Promise.reject(new ApiError(409, "conflict", "changed")));
    await expect(store.moveToDay("a", "2026-12-20")).rejects.toThrow("changed");
    expect(store.tasks[0]?.dueAt).toBe("2026-12-15T14:30:00.000Z");
  });

  test("a newer copy that arrived live is kept when our move fails", async () => {
    const { store, answerWith } = setup([task("a", "2026-12-15T14:30:00.000Z")]);
    await store.load(DECEMBER);
    const gate = deferred<Task>();
    answerWith(() => gate.promise);
    const moved = store.moveToDay("a", "2026-12-20");
    store.apply(event("task.updated", task("a", "2026-12-03T08:00:00.000Z", { version: 2 })));
    gate.reject(new ApiError(409, "conflict", "changed"));
    await expect(moved).rejects.toThrow();
    expect(store.tasks[0]?.dueAt).toBe("2026-12-03T08:00:00.000Z");
  });

  test("quick moves of one task go one after another, each with the version the previous one produced", async () => {
    const { store, patches, answerWith } = setup([task("a", "2026-12-15T14:30:00.000Z", { version: 3 })]);
    await store.load(DECEMBER);
    const gates = [deferred<Task>(), deferred<Task>()];
    answerWith(() => (gates[patches.length - 1] as ReturnType<typeof deferred<Task>>).promise);
    const first = store.moveToDay("a", "2026-12-16");
    const second = store.moveToDay("a", "2026-12-17");
    expect(new Date(store.tasks[0]?.dueAt as string).getDate()).toBe(17);
    await queued();
    expect(patches).toHaveLength(1);
    gates[0]?.resolve(task("a", patches[0]?.dueAt as string, { version: 4 }));
    await first;
    // The optimistic day stays while the second move is under way.
    expect(new Date(store.tasks[0]?.dueAt as string).getDate()).toBe(17);
    expect(patches.map((p) => p.version)).toEqual([3, 4]);
    gates[1]?.reject(new ApiError(500, "internal", "down"));
    await expect(second).rejects.toThrow("down");
    // Back to what the server has: the first move's result.
    expect(store.tasks[0]?.dueAt).toBe(patches[0]?.dueAt as string);
    expect(store.tasks[0]?.version).toBe(4);
  });

  test("live events: in the window it appears, out of it or archived it leaves", async () => {
    const { store } = setup([]);
    await store.load(DECEMBER);
    store.apply(event("task.created", task("b", "2026-12-05T10:00:00.000Z")));
    store.apply(event("task.created", task("c", "2027-01-05T10:00:00.000Z")));
    store.apply(event("task.created", task("d", "2026-12-05T10:00:00.000Z", { dueAt: null })));
    expect(store.tasks.map((t) => t.id)).toEqual(["b"]);
    store.apply(event("task.updated", task("b", "2027-02-01T00:00:00.000Z", { version: 2 })));
    expect(store.tasks).toHaveLength(0);
    store.apply(event("task.updated", task("b", "2026-12-06T00:00:00.000Z", { version: 3 })));
    store.apply({
      type: "task.archived",
      projectId: "p1",
      actorId: "u9",
      task: task("b", "2026-12-06T00:00:00.000Z", { version: 4, archivedAt: "2026-12-01T00:00:00.000Z" }),
    } as LiveEvent);
    expect(store.tasks).toHaveLength(0);
  });

  test("an older copy never replaces a newer one", async () => {
    const { store } = setup([task("a", "2026-12-15T14:30:00.000Z", { version: 5 })]);
    await store.load(DECEMBER);
    store.apply(event("task.updated", task("a", "2026-12-01T00:00:00.000Z", { version: 4 })));
    expect(store.tasks[0]?.dueAt).toBe("2026-12-15T14:30:00.000Z");
  });

  test("one project, or only my tasks: live events outside them stay out", async () => {
    const { store } = setup([]);
    await store.load({ ...DECEMBER, projectId: "p1", assignedToMe: true });
    store.apply(
      event(
        "task.created",
        task("other project", "2026-12-05T10:00:00.000Z", { projectId: "p2", assigneeId: "me" }),
      ),
    );
    store.apply(
      event("task.created", task("someone else's", "2026-12-05T10:00:00.000Z", { assigneeId: "u2" })),
    );
    store.apply(event("task.created", task("mine", "2026-12-05T10:00:00.000Z", { assigneeId: "me" })));
    expect(store.tasks.map((t) => t.id)).toEqual(["mine"]);
  });

  test("a load's answer computed before a move settled, arriving after it and its live event, does not undo it", async () => {
    const january = { from: "2027-01-01T00:00:00.000Z", to: "2027-02-01T00:00:00.000Z" };
    const december = deferred<{ items: Task[]; truncated: boolean }>();
    const stale = deferred<{ items: Task[]; truncated: boolean }>();
    const loads = [december, stale];
    const store = createCalendarStore(
      () => "me",
      () => "UTC",
      {
        due: () => (loads.shift() as typeof december).promise,
        updateTask: (id, input, version) =>
          Promise.resolve(task(id, input.dueAt as string, { version: (version ?? 0) + 1 })),
      },
    );
    const first = store.load(DECEMBER);
    december.resolve({ items: [task("a", "2027-01-01T12:00:00.000Z", { version: 3 })], truncated: false });
    await first;
    // Shift+ArrowDown on 1 January: the task moves a week on and the view follows it into January.
    const moved = store.moveToDay("a", "2027-01-08");
    const following = store.load(january);
    const result = await moved;
    store.apply(event("task.updated", result));
    stale.resolve({ items: [task("a", "2027-01-01T12:00:00.000Z", { version: 3 })], truncated: false });
    await following;
    expect(store.tasks.map((t) => [t.dueAt, t.version])).toEqual([["2027-01-08T12:00:00.000Z", 4]]);
  });

  test("a task deleted or moved out of the window while a load was under way stays out", async () => {
    const answer = deferred<{ items: Task[]; truncated: boolean }>();
    const store = createCalendarStore(
      () => "me",
      () => "UTC",
      { due: () => answer.promise, updateTask: () => Promise.reject(new Error("unused")) },
    );
    const loaded = store.load(DECEMBER);
    store.apply({
      type: "task.deleted",
      projectId: "p1",
      actorId: "u9",
      task: task("gone", "2026-12-02T00:00:00.000Z"),
    } as LiveEvent);
    // Versions spelt out: other suites' Solid stores may have written to the shared fixture's.
    store.apply(event("task.updated", task("left", "2027-03-01T00:00:00.000Z", { version: 2 })));
    answer.resolve({
      items: [
        task("gone", "2026-12-02T00:00:00.000Z", { version: 1 }),
        task("left", "2026-12-03T00:00:00.000Z", { version: 1 }),
        task("kept", "2026-12-04T00:00:00.000Z", { version: 1 }),
      ],
      truncated: false,
    });
    await loaded;
    expect(store.tasks.map((t) => t.id)).toEqual(["kept"]);
  });

  test("of two loads, the newer one wins even if the older answers last", async () => {
    const first = deferred<{ items: Task[]; truncated: boolean }>();
    const second = deferred<{ items: Task[]; truncated: boolean }>();
    const answers = [first, second];
    const store = createCalendarStore(
      () => "me",
      () => "UTC",
      {
        due: () => (answers.shift() as typeof first).promise,
        updateTask: () => Promise.reject(new Error("unused")),
      },
    );
    const a = store.load(DECEMBER);
    const b = store.load({ from: "2027-01-01T00:00:00.000Z", to: "2027-02-01T00:00:00.000Z" });
    second.resolve({ items: [task("january", "2027-01-10T00:00:00.000Z")], truncated: false });
    await b;
    first.resolve({ items: [task("december", "2026-12-10T00:00:00.000Z")], truncated: false });
    await a;
    expect(store.tasks.map((t) => t.id)).toEqual(["january"]);
  });
});
