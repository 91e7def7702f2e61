import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { freshRuntime } from "../../test/support/harness.ts";
import type { DomainEvent } from "../events/types.ts";
import { createProjectService } from "../projects/service.ts";
import { createTaskService } from "./service.ts";

// Real servers outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let data: Awaited<ReturnType<typeof freshRuntime>>;
let userId: string;
let projectId: string;
/** What the database showed another connection at the moment each event was published. */
const published: { event: DomainEvent; visibleVersion: number | null }[] = [];

async function publish(event: DomainEvent) {
  const task = "task" in event ? event.task : undefined;
  const [row] = task
    ? await data.sql<{ version: number }[]>`SELECT version FROM tasks WHERE id = ${task.id}`
    : [];
  published.push({ event, visibleVersion: row?.version ?? null });
}

const tasksVersion = async () =>
  (await data.sql<{ v: string }[]>`SELECT tasks_version::text AS v FROM projects WHERE id = ${projectId}`)[0]
    ?.v;

beforeAll(async () => {
  data = await freshRuntime();
  const [user] = await data.sql<{ id: string }[]>`
    INSERT INTO users (email, name, password_hash) VALUES ('service@example.test', 'S', 'x') RETURNING id`;
  userId = user?.id ?? "";
  projectId = (await createProjectService(data, publish).create(userId, { name: "Service" })).id;
});
afterAll(() => data.close());

test("a use case's statements commit together or not at all: a failed insert undoes the project lock's bump", async () => {
  const tasks = createTaskService(data, publish);
  const before = await tasksVersion();
  await tasks.create(userId, { projectId, title: "kept" });
  const afterCommit = await tasksVersion();
  expect(BigInt(afterCommit ?? 0)).toBe(BigInt(before ?? 0) + 1n);

  published.length = 0;
  // Past the schema's 201-character check, which only the database enforces here: the second
  // statement of the transaction fails after the first (the tasks_version bump) succeeded.
  const failed = await tasks.create(userId, { projectId, title: "x".repeat(201) }).catch((error) => error);
  expect(failed).toBeInstanceOf(Error);
  expect(await tasksVersion()).toBe(afterCommit);
  const rows = await data.sql`SELECT 1 FROM tasks WHERE project_id = ${projectId} AND title LIKE 'xxx%'`;
  expect(rows.length).toBe(0);
  expect(published).toEqual([]);
});

test("events are published after the commit: another connection already sees the change", async () => {
  const tasks = createTaskService(data, publish);
  const anyVersion = () => undefined;
  published.length = 0;
  const created = await tasks.create(userId, { projectId, title: "watched" });
  const updated = await tasks.update(userId, created.id, { title: "watched twice" }, anyVersion);
  const moved = await tasks.move(userId, created.id, { status: "done", index: 0 }, anyVersion);
  const archived = await tasks.setArchived(userId, created.id, true, anyVersion);
  const restored = await tasks.setArchived(userId, created.id, false, anyVersion);
  await tasks.remove(userId, created.id, anyVersion);
  expect(updated.kind).toBe("ok");
  expect(moved.kind).toBe("ok");
  expect([archived.kind, restored.kind]).toEqual(["ok", "ok"]);
  expect(published.map(({ event, visibleVersion }) => [event.type, visibleVersion])).toEqual([
    ["task.created", 1],
    ["task.updated", 2],
    ["task.moved", 3],
    ["task.archived", 4],
    ["task.restored", 5],
    ["task.deleted", null],
  ]);
});

test("a refused write publishes nothing", async () => {
  const tasks = createTaskService(data, publish);
  const task = await tasks.create(userId, { projectId, title: "versioned" });
  published.length = 0;
  const stale = await tasks.update(userId, task.id, { title: "late" }, () => task.version + 1);
  expect(stale).toMatchObject({ kind: "conflict", current: { id: task.id, title: "versioned" } });
  expect(published).toEqual([]);
});
