// The in-app inbox on real PostgreSQL and Redis: each kind written once in the transaction of its
// cause, never for the actor or a non-member; the inbox API (pages, unread, mark read, other users'
// ids); watchers; the recipient's event stream (and nobody else's).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { notify } from "../src/notifications/service.ts";
import { openEvents, payload, type SseClient } from "./support/client.ts";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
let ada: TestUser;
let bob: TestUser;
let cara: TestUser;
let dan: TestUser;
let outsider: TestUser;
let projectId: string;

const mention = (user: TestUser) => `@[${user.name}](user:${user.id})`;
const newTask = async (title: string, extra: Record<string, unknown> = {}, token = ada.token) => {
  const res = await t.call("POST", "/api/tasks", { token, body: { projectId, title, ...extra } });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
};
const comment = async (taskId: string, body: string, user: TestUser) => {
  const res = await t.call("POST", `/api/tasks/${taskId}/comments`, { token: user.token, body: { body } });
  expect(res.status).toBe(201);
  return res.body as { id: string };
};
interface Item {
  id: string;
  kind: string;
  taskId: string | null;
  taskTitle: string | null;
  projectName: string;
  actorName: string | null;
  data: Record<string, unknown>;
  readAt: string | null;
}
const inbox = async (user: TestUser, query = "") => {
  const res = await t.call("GET", `/api/notifications${query}`, { token: user.token });
  expect(res.status).toBe(200);
  return res.body as { items: Item[]; nextCursor: string | null; unread: number };
};
/** The user's notifications about `taskId`, oldest first, as [kind, actor] pairs. */
const about = async (user: TestUser, taskId: string) =>
  (await inbox(user, "?limit=100")).items
    .filter((item) => item.taskId === taskId)
    .reverse()
    .map((item) => [item.kind, item.actorName]);
const readAll = (user: TestUser) => t.call("POST", "/api/notifications/read-all", { token: user.token });

beforeAll(async () => {
  t = await createTestApp();
  [ada, bob, cara, dan, outsider] = await Promise.all([
    t.signUp("Ada"),
    t.signUp("Bob"),
    t.signUp("Cara"),
    t.signUp("Dan"),
    t.signUp("Outsider"),
  ]);
  // An invitation of an existing account adds it at once (createProject checks the 202).
  projectId = await t.createProject(ada, "Inbox", [
    [bob, "editor"],
    [cara, "editor"],
    [dan, "viewer"],
  ]);
}, 120_000);
afterAll(() => t.close());

describe("produced in the cause's transaction", () => {
  test("added to a project: the new member once, the owner who added them never", async () => {
    const items = (await inbox(bob)).items.filter((item) => item.kind === "added_to_project");
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      projectName: "Inbox",
      actorName: "Ada",
      taskId: null,
      data: { role: "editor" },
    });
    expect((await inbox(ada)).items).toEqual([]);
  });

  test("assigned: on create and on a change of assignee, never for assigning oneself", async () => {
    const task = await newTask("Assign me", { assigneeId: bob.id });
    expect(await about(bob, task.id)).toEqual([["assigned", "Ada"]]);
    // An edit that keeps the assignee tells nobody again.
    await t.call("PATCH", `/api/tasks/${task.id}`, { token: ada.token, body: { title: "Assign me!" } });
    expect(await about(bob, task.id)).toEqual([["assigned", "Ada"]]);
    // Bob hands it to Cara, who hears of it from Bob; Cara takes it herself: no news for anyone.
    await t.call("PATCH", `/api/tasks/${task.id}`, { token: bob.token, body: { assigneeId: cara.id } });
    expect(await about(cara, task.id)).toEqual([["assigned", "Bob"]]);
    const own = await newTask("Mine", { assigneeId: ada.id });
    expect(await about(ada, own.id)).toEqual([]);
    const item = (await inbox(cara)).items.find((entry) => entry.taskId === task.id);
    expect(item).toMatchObject({ taskTitle: "Assign me!", projectName: "Inbox" });
  });

  test("mentioned: each person mentioned once, not the author; an edit tells only new mentions", async () => {
    const task = await newTask("Talk");
    const first = await comment(task.id, `Hi ${mention(bob)} and ${mention(ada)}`, ada);
    expect(await about(bob, task.id)).toEqual([["mentioned", "Ada"]]);
    expect(await about(ada, task.id)).toEqual([]);
    const mentioned = (await inbox(bob)).items.find((item) => item.taskId === task.id);
    expect(mentioned?.data).toMatchObject({ commentId: first.id });
    expect(String(mentioned?.data.excerpt)).toContain("Hi @[Bob]");
    const edited = await t.call("PATCH", `/api/tasks/${task.id}/comments/${first.id}`, {
      token: ada.token,
      body: { body: `Hi ${mention(bob)} and ${mention(cara)}` },
    });
    expect(edited.status).toBe(200);
    expect(await about(bob, task.id)).toEqual([["mentioned", "Ada"]]);
    expect(await about(cara, task.id)).toEqual([["mentioned", "Ada"]]);
  });

  test("commented: the assignee and watchers, not the author, and a mention is not told twice", async () => {
    const task = await newTask("Discuss", { assigneeId: bob.id });
    await comment(task.id, "First thoughts", cara);
    // Bob is the assignee; Cara now watches (she commented).
    expect(await about(bob, task.id)).toEqual([
      ["assigned", "Ada"],
      ["commented", "Cara"],
    ]);
    expect(await about(cara, task.id)).toEqual([]);
    await comment(task.id, `Replying, ${mention(bob)}`, ada);
    expect(await about(bob, task.id)).toEqual([
      ["assigned", "Ada"],
      ["commented", "Cara"],
      ["mentioned", "Ada"],
    ]);
    expect(await about(cara, task.id)).toEqual([["commented", "Ada"]]);
    // Ada commented too, so she watches: Bob's reply reaches her and Cara, not Bob.
    await comment(task.id, "Thanks", bob);
    expect(await about(ada, task.id)).toEqual([["commented", "Bob"]]);
    expect((await about(cara, task.id)).at(-1)).toEqual(["commented", "Bob"]);
    expect((await about(bob, task.id)).at(-1)).toEqual(["mentioned", "Ada"]);
  });

  test("watch and unwatch a task (viewers too); outsiders get 404", async () => {
    const task = await newTask("Watched");
    const path = `/api/tasks/${task.id}/watch`;
    expect((await t.call("GET", path, { token: dan.token })).body).toEqual({ watching: false });
    expect((await t.call("POST", path, { token: dan.token })).body).toEqual({ watching: true });
    expect((await t.call("GET", path, { token: dan.token })).body).toEqual({ watching: true });
    await comment(task.id, "Anyone?", ada);
    expect(await about(dan, task.id)).toEqual([["commented", "Ada"]]);
    expect((await t.call("DELETE", path, { token: dan.token })).body).toEqual({ watching: false });
    await comment(task.id, "Hello?", ada);
    expect(await about(dan, task.id)).toEqual([["commented", "Ada"]]);
    for (const method of ["GET", "POST", "DELETE"]) {
      expect((await t.call(method, path, { token: outsider.token })).status).toBe(404);
    }
    expect((await t.call("POST", "/api/tasks/not-a-uuid/watch", { token: dan.token })).status).toBe(404);
  });

  test("a refused change notifies nobody (the notification shares its transaction)", async () => {
    const task = await newTask("Refused");
    const before = (await inbox(bob)).unread;
    const refused = await t.call("POST", `/api/tasks/${task.id}/comments`, {
      token: ada.token,
      body: { body: `${mention(bob)} and ${mention(outsider)}` },
    });
    expect(refused.status).toBe(422);
    const stale = await t.call("PATCH", `/api/tasks/${task.id}`, {
      token: ada.token,
      headers: { "if-match": `"${task.version + 5}"` },
      body: { assigneeId: bob.id },
    });
    expect(stale.status).toBe(409);
    expect((await inbox(bob)).unread).toBe(before);
    expect(await about(bob, task.id)).toEqual([]);

    // Written by the transaction that wrote its cause (same xmin): the task, the comment, the member.
    const xmin = async (table: string, where: string, id: string) =>
      (
        await t.sql<
          { x: string }[]
        >`SELECT xmin::text AS x FROM ${t.sql(table)} WHERE ${t.sql(where)} = ${id}`
      )[0]?.x;
    const noteOf = async (kind: string, taskId: string) =>
      (
        await t.sql<{ x: string }[]>`
          SELECT xmin::text AS x FROM notifications WHERE kind = ${kind} AND task_id = ${taskId} AND user_id = ${bob.id}`
      )[0]?.x;
    const assigned = await newTask("Same transaction", { assigneeId: bob.id });
    expect(await noteOf("assigned", assigned.id)).toBe(await xmin("tasks", "id", assigned.id));
    const said = await comment(assigned.id, `${mention(bob)} look`, ada);
    expect(await noteOf("mentioned", assigned.id)).toBe(await xmin("comments", "id", said.id));
    const member = await t.signUp("Joiner");
    await t.call("POST", `/api/projects/${projectId}/members`, {
      token: ada.token,
      body: { email: member.email, role: "viewer" },
    });
    const [joined] = await t.sql<{ x: string }[]>`
      SELECT xmin::text AS x FROM notifications WHERE user_id = ${member.id} AND kind = 'added_to_project'`;
    expect(joined?.x).toBe(
      (
        await t.sql<{ x: string }[]>`
          SELECT xmin::text AS x FROM project_members WHERE project_id = ${projectId} AND user_id = ${member.id}`
      )[0]?.x,
    );
  });

  test("non-members are never notified, and a member who leaves no longer sees the project's", async () => {
    const other = (await t.call("POST", "/api/projects", { token: cara.token, body: { name: "Other" } }))
      .body;
    await t.call("POST", `/api/projects/${other.id}/members`, {
      token: cara.token,
      body: { email: dan.email, role: "editor" },
    });
    const task = (
      await t.call("POST", "/api/tasks", {
        token: cara.token,
        body: { projectId: other.id, title: "Leaving", assigneeId: dan.id },
      })
    ).body;
    await t.call("POST", `/api/tasks/${task.id}/watch`, { token: dan.token });
    expect(await about(dan, task.id)).toEqual([["assigned", "Cara"]]);
    expect(
      (await t.call("DELETE", `/api/projects/${other.id}/members/${dan.id}`, { token: dan.token })).status,
    ).toBe(204);
    // Dan still watches the task in the table, but is no member: no notification, none listed.
    await comment(task.id, "Still there?", cara);
    expect(await about(dan, task.id)).toEqual([]);
    expect((await inbox(dan)).items.some((item) => item.projectName === "Other")).toBe(false);
    // notify() itself leaves out non-members and the actor, and writes a dedupe key once.
    const due = await newTask("Due");
    const reminder = {
      kind: "due_soon" as const,
      recipients: [bob.id, outsider.id, ada.id, bob.id],
      projectId,
      taskId: due.id,
      actorId: ada.id,
      data: { dueAt: "2030-01-01T00:00:00.000Z" },
      dedupeKey: "due_soon:test",
    };
    const first = await t.sql.begin((tx) => notify(tx, reminder));
    expect(first.map((row) => row.userId)).toEqual([bob.id]);
    expect(await t.sql.begin((tx) => notify(tx, reminder))).toEqual([]);
    const scheduled = await t.sql.begin((tx) =>
      notify(tx, { ...reminder, actorId: null, dedupeKey: "overdue:x", kind: "overdue" }),
    );
    expect(scheduled.map((row) => row.userId).sort()).toEqual([ada.id, bob.id].sort());
  });
});

describe("the inbox API", () => {
  test("pages newest first, unread filter, mark one and all read; other users' ids are 404", async () => {
    const user = await t.signUp("Paged");
    await t.call("POST", `/api/projects/${projectId}/members`, {
      token: ada.token,
      body: { email: user.email, role: "editor" },
    });
    for (let i = 0; i < 4; i += 1) await newTask(`Page ${i}`, { assigneeId: user.id });
    const all = await inbox(user);
    expect(all.unread).toBe(5);
    expect(all.items.map((item) => item.taskTitle)).toEqual(["Page 3", "Page 2", "Page 1", "Page 0", null]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof inbox>> = await inbox(
        user,
        `?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((item) => item.id));

    const [newest, second] = all.items;
    const read = await t.call("POST", `/api/notifications/${second?.id}/read`, { token: user.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ unread: 4 });
    // Reading it again is harmless and keeps the first time.
    const readAt = (await inbox(user)).items.find((item) => item.id === second?.id)?.readAt;
    expect(readAt).toBeString();
    expect(
      (await t.call("POST", `/api/notifications/${second?.id}/read`, { token: user.token })).body,
    ).toEqual({
      unread: 4,
    });
    expect((await inbox(user)).items.find((item) => item.id === second?.id)?.readAt).toBe(readAt as string);
    const unread = await inbox(user, "?unread=true");
    expect(unread.items.map((item) => item.id)).not.toContain(second?.id);
    expect(unread.items).toHaveLength(4);
    expect((await t.call("GET", "/api/notifications/unread-count", { token: user.token })).body).toEqual({
      unread: 4,
    });

    // Someone else's notification does not exist for you.
    expect((await t.call("POST", `/api/notifications/${newest?.id}/read`, { token: bob.token })).status).toBe(
      404,
    );
    expect((await t.call("POST", "/api/notifications/99999999/read", { token: user.token })).status).toBe(
      404,
    );
    expect((await t.call("POST", "/api/notifications/abc/read", { token: user.token })).status).toBe(404);
    expect((await inbox(user)).unread).toBe(4);

    expect((await readAll(user)).body).toEqual({ unread: 0 });
    expect((await inbox(user, "?unread=true")).items).toEqual([]);
    expect((await inbox(user)).items.every((item) => item.readAt !== null)).toBe(true);
  });

  test("bad input is a 4xx JSON answer; signed out is 401", async () => {
    for (const query of [
      "?cursor=abc",
      "?limit=0",
      "?limit=101",
      "?unread=maybe",
      "?extra=1",
      "?cursor=1e5",
    ]) {
      const res = await t.call("GET", `/api/notifications${query}`, { token: bob.token });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
    }
    for (const [method, path] of [
      ["GET", "/api/notifications"],
      ["GET", "/api/notifications/unread-count"],
      ["POST", "/api/notifications/read-all"],
      ["POST", "/api/notifications/1/read"],
    ] as const) {
      const res = await t.call(method, path);
      expect(res.status).toBe(401);
      expect(res.body.error).toBeDefined();
    }
  });
});

describe("live", () => {
  test("the recipient's streams (every tab) get notification.created and .read; nobody else does", async () => {
    const base = t.listen();
    const streams: SseClient[] = [];
    try {
      const [bobTab1, bobTab2, caraTab] = await Promise.all([
        openEvents(base, { token: bob.token }),
        openEvents(base, { token: bob.token }),
        openEvents(base, { token: cara.token }),
      ]);
      streams.push(bobTab1, bobTab2, caraTab);
      for (const stream of streams) await stream.waitFor((m) => m.event === "ready");
      await readAll(bob);
      const task = await newTask("Live one", { assigneeId: bob.id });
      for (const tab of [bobTab1, bobTab2]) {
        const created = payload(
          await tab.waitFor(
            (m) => m.event === "notification.created" && payload(m).notification.taskId === task.id,
          ),
        );
        expect(created).toMatchObject({
          recipientId: bob.id,
          actorId: ada.id,
          unread: 1,
          notification: { kind: "assigned", taskTitle: "Live one", actorName: "Ada", readAt: null },
        });
      }
      await readAll(bob);
      for (const tab of [bobTab1, bobTab2]) {
        const read = payload(await tab.waitFor((m) => m.event === "notification.read" && payload(m).all));
        expect(read).toMatchObject({ recipientId: bob.id, unread: 0 });
      }
      // Cara, a member of the same project, saw the task but none of Bob's inbox.
      await caraTab.waitFor((m) => m.event === "task.created" && payload(m).task.id === task.id);
      expect(caraTab.messages.some((m) => m.event.startsWith("notification."))).toBe(false);

      // A reconnect replays what was missed, the notification included.
      const last = bobTab1.messages.at(-1)?.id as string;
      bobTab1.close();
      const missed = await newTask("While away", { assigneeId: bob.id });
      const back = await openEvents(base, { token: bob.token, lastEventId: last });
      streams.push(back);
      await back.waitFor(
        (m) => m.event === "notification.created" && payload(m).notification.taskId === missed.id,
      );
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});
