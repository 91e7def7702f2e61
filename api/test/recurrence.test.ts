// Recurring tasks through the API on real PostgreSQL: rules validated (readable 422s, hostile input),
// the next occurrence created on completion (copied fields, unticked checklist, first open column,
// due date computed in the task's zone across a DST change, activity), exactly once with two
// replicas and quick repeated completions, and the time zone preference.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
let ada: TestUser;
let bob: TestUser;
let viewer: TestUser;
let projectId: string;

beforeAll(async () => {
  t = await createTestApp();
  ada = await t.signUp("Ada");
  bob = await t.signUp("Bob");
  viewer = await t.signUp("Vic");
  projectId = await t.createProject(ada, "Chores", [
    [bob, "editor"],
    [viewer, "viewer"],
  ]);
  const zone = await t.call("PUT", "/api/me/preferences", {
    token: ada.token,
    body: { timeZone: "Europe/Paris" },
  });
  expect(zone.status).toBe(200);
});

afterAll(async () => {
  await t?.close();
});

const WEEKLY_MONDAY = { rule: "FREQ=WEEKLY;BYDAY=MO", from: "due" };

const createTask = async (body: Record<string, unknown>, token = ada.token) => {
  const res = await t.call("POST", "/api/tasks", { token, body: { projectId, ...body } });
  expect(res.status).toBe(201);
  return res.body;
};

/** The events published since `mark` (a stream id from store.lastEventId()), parsed. */
const eventsSince = async (mark: string) =>
  (await t.store.eventsSince(mark)).events.map(
    (event) => JSON.parse(event.data) as { type: string; task?: { id: string }; taskId?: string },
  );

const tasksTitled = async (title: string) =>
  (
    await t.call("GET", `/api/tasks?projectId=${projectId}&archived=include&limit=100&sort=dueAt`, {
      token: ada.token,
    })
  ).body.items.filter((task: { title: string }) => task.title === title);

describe("the time zone preference", () => {
  test("defaults to UTC, takes IANA names (canonical spelling), refuses anything else", async () => {
    expect((await t.call("GET", "/api/me/preferences", { token: bob.token })).body.timeZone).toBe("UTC");
    const set = await t.call("PUT", "/api/me/preferences", {
      token: bob.token,
      body: { timeZone: "america/new_york" },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ timeZone: "America/New_York", dueSoonReminders: true });
    for (const timeZone of ["Mars/Base", "+01:00", "Europe/Paris\u0000", "x".repeat(10_000), 5, null]) {
      const res = await t.call("PUT", "/api/me/preferences", { token: bob.token, body: { timeZone } });
      expect(res.status).toBe(422);
      // NUL is refused by the body check, which names the path as an array.
      expect([res.body.error.details[0].path].flat().join(".")).toBe("timeZone");
    }
    // A change of the reminders keeps the zone.
    await t.call("PUT", "/api/me/preferences", { token: bob.token, body: { overdueReminders: false } });
    expect((await t.call("GET", "/api/me/preferences", { token: bob.token })).body.timeZone).toBe(
      "America/New_York",
    );
  });
});

describe("a task's recurrence", () => {
  test("is stored in canonical form with the author's zone, answered by reads and lists, and removable", async () => {
    const task = await createTask({ title: "Bins", recurrence: { rule: "rrule:freq=weekly;byday=mo" } });
    expect(task.recurrence).toEqual({ rule: "FREQ=WEEKLY;BYDAY=MO", from: "due", timeZone: "Europe/Paris" });
    const read = await t.call("GET", `/api/tasks/${task.id}`, { token: bob.token });
    expect(read.body.recurrence).toEqual(task.recurrence);
    expect((await tasksTitled("Bins"))[0].recurrence).toEqual(task.recurrence);
    const zoned = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: bob.token,
      body: { recurrence: { rule: "FREQ=DAILY", from: "completion", timeZone: "Asia/Tokyo" } },
    });
    expect(zoned.body.recurrence).toEqual({ rule: "FREQ=DAILY", from: "completion", timeZone: "Asia/Tokyo" });
    const cleared = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: bob.token,
      body: { recurrence: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.recurrence).toBeNull();
    const activity = await t.call("GET", `/api/tasks/${task.id}/activity`, { token: ada.token });
    expect(activity.body.items[0].data.changes.recurrence.to).toBeNull();
  });

  test.each([
    [{ rule: "FREQ=HOURLY" }, "recurrence.rule", "FREQ=HOURLY is not supported"],
    [{ rule: "FREQ=WEEKLY;BYDAY=XX" }, "recurrence.rule", "BYDAY takes weekdays"],
    [{ rule: "FREQ=DAILY;COUNT=100000" }, "recurrence.rule", "COUNT must be"],
    [{ rule: "not a rule" }, "recurrence.rule", "may hold only"],
    [{ rule: "FREQ=DAILY\u0000" }, "recurrence.rule", ""],
    [{ rule: `FREQ=DAILY;${"X".repeat(490)}` }, "recurrence.rule", "at most 500"],
    [{ rule: "FREQ=DAILY", from: "tomorrow" }, "recurrence.from", ""],
    [{ rule: "FREQ=DAILY", timeZone: "Europe/Atlantis" }, "recurrence.timeZone", "IANA time zone"],
    [{ rule: { rule: { rule: "FREQ=DAILY" } } }, "recurrence.rule", ""],
    [{ rule: "FREQ=DAILY", extra: 1 }, "recurrence", ""],
  ])("refuses %p with 422 naming the field", async (recurrence, path, message) => {
    const res = await t.call("POST", "/api/tasks", {
      token: ada.token,
      body: { projectId, title: "Bad", recurrence },
    });
    expect(res.status).toBe(422);
    const problem = res.body.error.details.find((d: { path: string }) => d.path === path);
    expect(problem?.message ?? "").toContain(message);
    expect(res.body.error.message.length).toBeGreaterThan(0);
  });

  test("a 100,000-character rule is refused like any too-long value", async () => {
    const res = await t.call("POST", "/api/tasks", {
      token: ada.token,
      body: { projectId, title: "Huge", recurrence: { rule: `FREQ=DAILY;${"X".repeat(100_000)}` } },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain("at most 500");
  });

  test("viewers cannot set one", async () => {
    const res = await t.call("POST", "/api/tasks", {
      token: viewer.token,
      body: { projectId, title: "Mine", recurrence: WEEKLY_MONDAY },
    });
    expect(res.status).toBe(403);
  });
});

describe("completing a repeating task", () => {
  test("creates the next occurrence: fields copied, checklist unticked, first open column, 09:00 Paris across DST", async () => {
    // Monday 23 March 2026 09:00 in Paris (08:00 UTC); the clocks go forward on the 29th.
    const task = await createTask({
      title: "Weekly review",
      description: "Look back",
      priority: "high",
      labels: ["ritual"],
      assigneeId: bob.id,
      dueAt: "2026-03-23T08:00:00Z",
      recurrence: { ...WEEKLY_MONDAY, rule: "FREQ=WEEKLY;BYDAY=MO;COUNT=3" },
    });
    for (const text of ["agenda", "notes"]) {
      await t.call("POST", `/api/tasks/${task.id}/checklist`, { token: ada.token, body: { text } });
    }
    const items = (await t.call("GET", `/api/tasks/${task.id}/checklist`, { token: ada.token })).body.items;
    await t.call("PATCH", `/api/tasks/${task.id}/checklist/${items[0].id}`, {
      token: ada.token,
      body: { done: true },
    });

    const mark = await t.store.lastEventId();
    const done = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: bob.token,
      body: { status: "done" },
    });
    expect(done.status).toBe(200);
    const series = await tasksTitled("Weekly review");
    expect(series).toHaveLength(2);
    const next = series.find((other: { id: string }) => other.id !== task.id);
    expect(next).toMatchObject({
      description: "Look back",
      priority: "high",
      labels: ["ritual"],
      assigneeId: bob.id,
      status: "todo",
      completedAt: null,
      dueAt: "2026-03-30T07:00:00.000Z",
      recurrence: { rule: "FREQ=WEEKLY;BYDAY=MO;COUNT=2", from: "due", timeZone: "Europe/Paris" },
    });
    const board = await t.call("GET", `/api/projects/${projectId}/board`, { token: ada.token });
    const firstOpen = board.body.columns.find((column: { done: boolean }) => !column.done);
    expect(next.columnId).toBe(firstOpen.id);
    const checklist = await t.call("GET", `/api/tasks/${next.id}/checklist`, { token: ada.token });
    expect(checklist.body.items.map((i: { text: string; done: boolean }) => [i.text, i.done])).toEqual([
      ["agenda", false],
      ["notes", false],
    ]);
    const history = await t.call("GET", `/api/tasks/${task.id}/activity`, { token: ada.token });
    expect(history.body.items[0]).toMatchObject({
      kind: "task.recurred",
      actorId: bob.id,
      data: { nextTaskId: next.id, dueAt: "2026-03-30T07:00:00.000Z" },
    });
    const born = await t.call("GET", `/api/tasks/${next.id}/activity`, { token: ada.token });
    expect(born.body.items.at(-1)).toMatchObject({ kind: "task.created", data: { recurredFrom: task.id } });
    // Published like any created task (after the completion's update), with its checklist.
    const events = (await eventsSince(mark)).map((event) => [event.type, event.task?.id ?? event.taskId]);
    expect(events).toEqual([
      ["task.updated", task.id],
      ["task.created", next.id],
      ["checklist.changed", next.id],
    ]);
  });

  test("happens once: reopening and completing again, or moving into a done column, creates no second one", async () => {
    const task = await createTask({
      title: "Water plants",
      dueAt: "2026-06-01T07:00:00Z",
      recurrence: WEEKLY_MONDAY,
    });
    await t.call("PATCH", `/api/tasks/${task.id}`, { token: ada.token, body: { status: "done" } });
    await t.call("PATCH", `/api/tasks/${task.id}`, { token: ada.token, body: { status: "todo" } });
    await t.call("POST", `/api/tasks/${task.id}/move`, {
      token: ada.token,
      body: { status: "done", position: 0 },
    });
    expect(await tasksTitled("Water plants")).toHaveLength(2);
  });

  test("a move into a done column completes it too; the last of a COUNT has no successor", async () => {
    const task = await createTask({
      title: "Twice",
      dueAt: "2026-06-01T07:00:00Z",
      recurrence: { rule: "FREQ=DAILY;COUNT=2", from: "due" },
    });
    await t.call("POST", `/api/tasks/${task.id}/move`, {
      token: ada.token,
      body: { status: "done", position: 0 },
    });
    const [, second] = await tasksTitled("Twice");
    expect(second).toMatchObject({
      dueAt: "2026-06-02T07:00:00.000Z",
      recurrence: { rule: "FREQ=DAILY;COUNT=1" },
    });
    await t.call("POST", `/api/tasks/${second.id}/move`, {
      token: ada.token,
      body: { status: "done", position: 0 },
    });
    expect(await tasksTitled("Twice")).toHaveLength(2);
  });

  test("two replicas completing the same task at once, several times each, create exactly one occurrence", async () => {
    const replica = await t.replica();
    try {
      for (let round = 0; round < 5; round++) {
        const title = `Race ${round}`;
        const task = await createTask({ title, dueAt: "2026-06-01T07:00:00Z", recurrence: WEEKLY_MONDAY });
        const complete = (call: TestApp["call"]) =>
          call("PATCH", `/api/tasks/${task.id}`, { token: ada.token, body: { status: "done" } });
        const move = (call: TestApp["call"]) =>
          call("POST", `/api/tasks/${task.id}/move`, {
            token: bob.token,
            body: { status: "done", position: 0 },
          });
        const mark = await t.store.lastEventId();
        const results = await Promise.all([
          complete(t.call),
          complete(replica.call),
          move(replica.call),
          move(t.call),
        ]);
        expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
        const series = await tasksTitled(title);
        expect(series).toHaveLength(2);
        const [guards] = await t.sql<{ count: number }[]>`
          SELECT count(*)::int AS count FROM task_recurrences WHERE task_id = ${task.id}`;
        expect(guards?.count).toBe(1);
        const created = (await eventsSince(mark)).filter((event) => event.type === "task.created");
        expect(created.map((event) => event.task?.id)).toEqual([
          series.find((s: { id: string }) => s.id !== task.id).id,
        ]);
      }
    } finally {
      await replica.close();
    }
  });
});
