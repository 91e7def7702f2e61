// Checklist use cases. Viewers read; editors add, edit, tick, reorder and delete. Each write runs in
// one transaction with the project row (bumping tasks_version: lists filtered on checklist state are
// cached) and then the task row locked (so the item cap holds under concurrent adds), records its
// activity in it, and publishes the task's whole checklist after the commit.
import { recordActivity } from "../activity/repository.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { assertRole, assertTaskWritable } from "../projects/access.ts";
import * as tasks from "../tasks/repository.ts";
import * as checklist from "./repository.ts";
import { type CreateChecklistItem, MAX_CHECKLIST_ITEMS, type UpdateChecklistItem } from "./schemas.ts";

/** The start of a text for the history, cut between characters (a cut surrogate pair is no JSON). */
const excerpt = (text: string) => {
  const chars = [...text];
  return chars.length > 200 ? `${chars.slice(0, 199).join("")}…` : text;
};

export function createChecklistService({ sql, metrics }: Deps, publish: Publish) {
  const readTask = async (taskId: string, userId: string, minimum: "viewer" | "editor") => {
    const found = await tasks.getTaskWithRole(sql, taskId, userId);
    if (!found?.role) throw notFound("task");
    assertRole(found.role, minimum);
    if (minimum !== "viewer") assertTaskWritable(found.task, found.projectArchivedAt);
    return found.task;
  };

  /** Runs `write` with the task's checklist locked, then publishes the checklist as it committed. */
  const write = async <T>(
    operation: string,
    userId: string,
    taskId: string,
    run: (tx: Queryable, count: number, projectId: string) => Promise<T>,
  ): Promise<{ result: T; items: checklist.ChecklistItem[] }> => {
    const task = await readTask(taskId, userId, "editor");
    const outcome = await timed(metrics, operation, () =>
      sql.begin(async (tx) => {
        // The project first, as every task writer does (one lock order): it bumps tasks_version, so
        // cached task lists filtered on checklist state (hasOpenChecklist) are not served stale.
        await tasks.lockProject(tx, task.projectId);
        const count = await checklist.lockChecklist(tx, taskId);
        if (count === undefined) throw notFound("task");
        const result = await run(tx, count, task.projectId);
        return { result, items: await checklist.listItems(tx, taskId) };
      }),
    );
    await publish({
      type: "checklist.changed",
      projectId: task.projectId,
      actorId: userId,
      taskId,
      items: outcome.items,
    });
    return outcome;
  };

  const itemOf = async (tx: Queryable, taskId: string, itemId: string) => {
    const item = await checklist.findItem(tx, taskId, itemId);
    if (!item) throw notFound("checklist item");
    return item;
  };

  return {
    async list(userId: string, taskId: string) {
      await readTask(taskId, userId, "viewer");
      return timed(metrics, "checklist.list", () => checklist.listItems(sql, taskId));
    },

    async add(userId: string, taskId: string, input: CreateChecklistItem) {
      const { result } = await write("checklist.add", userId, taskId, async (tx, count, projectId) => {
        if (count >= MAX_CHECKLIST_ITEMS) {
          throw new ApiError(422, "validation_failed", "invalid body", [
            {
              path: "text",
              message: `a task holds at most ${MAX_CHECKLIST_ITEMS} checklist items`,
              code: "custom",
            },
          ]);
        }
        const item = await checklist.insertItem(tx, taskId, input);
        await recordActivity(tx, {
          projectId,
          taskId,
          actorId: userId,
          kind: "checklist.added",
          data: { itemId: item.id, text: excerpt(item.text) },
        });
        return item;
      });
      return result;
    },

    async update(userId: string, taskId: string, itemId: string, changes: UpdateChecklistItem) {
      const { result } = await write("checklist.update", userId, taskId, async (tx, _count, projectId) => {
        const current = await itemOf(tx, taskId, itemId);
        const item = await checklist.updateItem(tx, current, changes);
        const base = { projectId, taskId, actorId: userId };
        if (item.text !== current.text) {
          await recordActivity(tx, {
            ...base,
            kind: "checklist.edited",
            data: { itemId, text: excerpt(item.text), from: excerpt(current.text), to: excerpt(item.text) },
          });
        }
        if (item.done !== current.done) {
          await recordActivity(tx, {
            ...base,
            kind: item.done ? "checklist.checked" : "checklist.unchecked",
            data: { itemId, text: excerpt(item.text) },
          });
        }
        return item;
      });
      return result;
    },

    async move(userId: string, taskId: string, itemId: string, index: number) {
      const { items } = await write("checklist.move", userId, taskId, async (tx, _count, projectId) => {
        const item = await itemOf(tx, taskId, itemId);
        const all = (await checklist.listItems(tx, taskId)).map((each) => each.id);
        const from = all.indexOf(itemId);
        const ids = all.filter((id) => id !== itemId);
        ids.splice(Math.min(index, ids.length), 0, itemId);
        await checklist.renumber(tx, taskId, ids);
        if (from !== ids.indexOf(itemId)) {
          await recordActivity(tx, {
            projectId,
            taskId,
            actorId: userId,
            kind: "checklist.reordered",
            data: { itemId, text: excerpt(item.text), to: ids.indexOf(itemId) },
          });
        }
      });
      return items;
    },

    async remove(userId: string, taskId: string, itemId: string) {
      await write("checklist.delete", userId, taskId, async (tx, _count, projectId) => {
        const item = await itemOf(tx, taskId, itemId);
        await checklist.deleteItem(tx, itemId);
        await recordActivity(tx, {
          projectId,
          taskId,
          actorId: userId,
          kind: "checklist.deleted",
          data: { itemId, text: excerpt(item.text) },
        });
      });
    },
  };
}
