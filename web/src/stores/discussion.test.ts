import { expect, test } from "bun:test";
import type { discussionApi } from "../api/discussion";
import type { ChecklistItem, Comment } from "../api/types";
import { createCountsStore } from "./counts";
import { createChecklistStore, createCommentsStore } from "./discussion";

const item = (id: string, done = false): ChecklistItem => ({
  id,
  taskId: "t1",
  text: id,
  done,
  position: 1,
  createdAt: "2030-01-01T00:00:00.000Z",
  updatedAt: "2030-01-01T00:00:00.000Z",
});
const comment = (id: string, body = id): Comment => ({
  id,
  taskId: "t1",
  authorId: "u1",
  authorName: "Ada",
  body,
  mentions: [],
  createdAt: "2030-01-01T00:00:00.000Z",
  updatedAt: "2030-01-01T00:00:00.000Z",
});

test("a tick shows at once and the counts follow; a refusal shows the server's list again", async () => {
  let server = [item("a"), item("b")];
  let refuse = false;
  const client = {
    checklist: async () => ({ items: server }),
    updateItem: async (_task: string, id: string, changes: { done?: boolean }) => {
      if (refuse) throw new Error("refused");
      server = server.map((each) => (each.id === id ? { ...each, ...changes } : each));
      return server.find((each) => each.id === id);
    },
  } as unknown as typeof discussionApi;
  const counts = createCountsStore("p1", {
    counts: async () => ({ items: [] }),
  } as unknown as typeof discussionApi);
  const store = createChecklistStore("t1", counts, client);
  await store.load();
  await store.toggle(item("a"));
  expect(store.items().map((each) => each.done)).toEqual([true, false]);
  expect(counts.of("t1")).toMatchObject({ checklistDone: 1, checklistTotal: 2 });
  refuse = true;
  await expect(store.toggle(item("b"))).rejects.toThrow("refused");
  expect(store.items().map((each) => each.done)).toEqual([true, false]);
});

test("live events replace the checklist and add, edit and remove comments of this task only", () => {
  const store = createChecklistStore("t1", undefined, {} as typeof discussionApi);
  store.apply({
    type: "checklist.changed",
    projectId: "p1",
    actorId: "u2",
    taskId: "t1",
    items: [item("x", true)],
  });
  store.apply({ type: "checklist.changed", projectId: "p1", actorId: "u2", taskId: "t2", items: [] });
  expect(store.items().map((each) => each.id)).toEqual(["x"]);

  const comments = createCommentsStore("t1", undefined, {} as typeof discussionApi);
  comments.apply({
    type: "comment.created",
    projectId: "p1",
    actorId: "u2",
    comment: comment("c1"),
    commentCount: 1,
  });
  comments.apply({
    type: "comment.created",
    projectId: "p1",
    actorId: "u2",
    comment: comment("c2"),
    commentCount: 2,
  });
  comments.apply({
    type: "comment.updated",
    projectId: "p1",
    actorId: "u2",
    comment: comment("c1", "edited"),
    commentCount: 2,
  });
  comments.apply({
    type: "comment.deleted",
    projectId: "p1",
    actorId: "u2",
    comment: { id: "c2", taskId: "t1" },
    commentCount: 1,
  });
  comments.apply({
    type: "comment.created",
    projectId: "p1",
    actorId: "u2",
    comment: { ...comment("c3"), taskId: "t2" },
    commentCount: 1,
  });
  expect(comments.items().map((each) => each.body)).toEqual(["edited"]);
});
