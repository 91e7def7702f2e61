// A member who leaves or is removed is unassigned from the project's tasks: an assignee who can no
// longer see the task would otherwise be shown forever (and could never be re-assigned to it).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 120_000);
afterAll(() => t.close());

test("removing a member sets assignee to null on their tasks, bumping versions; others keep theirs", async () => {
  const [owner, leaving, staying] = await Promise.all([t.signUp("O"), t.signUp("L"), t.signUp("S")]);
  const projectId = await t.createProject(owner, "P", [
    [leaving, "editor"],
    [staying, "editor"],
  ]);
  const create = (title: string, assigneeId: string) =>
    t.call("POST", "/api/tasks", { token: owner.token, body: { projectId, title, assigneeId } });
  const mine = (await create("theirs", leaving.id)).body;
  const kept = (await create("other", staying.id)).body;
  // Warm the list cache so a stale cached list would show.
  await t.call("GET", `/api/tasks?projectId=${projectId}`, { token: owner.token });

  const removed = await t.call("DELETE", `/api/projects/${projectId}/members/${leaving.id}`, {
    token: owner.token,
  });
  expect(removed.status).toBe(204);

  const after = (await t.call("GET", `/api/tasks/${mine.id}`, { token: owner.token })).body;
  expect(after.assigneeId).toBeNull();
  expect(after.version).toBe(mine.version + 1);
  expect((await t.call("GET", `/api/tasks/${kept.id}`, { token: owner.token })).body.assigneeId).toBe(
    staying.id,
  );
  const list = await t.call("GET", `/api/tasks?projectId=${projectId}`, { token: owner.token });
  const assignees = Object.fromEntries(
    list.body.items.map((task: { id: string; assigneeId: string | null }) => [task.id, task.assigneeId]),
  );
  expect(assignees).toEqual({ [mine.id]: null, [kept.id]: staying.id });
});
