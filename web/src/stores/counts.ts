// The board's and the list's per-task badges (checklist progress, comment count): read once per
// project (GET /api/projects/:id/task-counts, one query on the server) and kept current by the live
// events, which carry the task's new checklist or comment count.
import { createStore, reconcile } from "solid-js/store";
import { discussionApi } from "../api/discussion";
import type { LiveEvent, TaskCounts } from "../api/types";

export type Counts = Omit<TaskCounts, "taskId">;

export interface CountsStore {
  of(taskId: string): Counts | undefined;
  load(): Promise<void>;
  apply(event: LiveEvent): void;
  /** After one's own checklist change (the event may come later, or not to this tab). */
  setChecklist(taskId: string, items: { done: boolean }[]): void;
  setComments(taskId: string, count: number): void;
}

const EMPTY: Counts = { checklistDone: 0, checklistTotal: 0, comments: 0 };

export function createCountsStore(projectId: string, client = discussionApi): CountsStore {
  const [state, setState] = createStore<Record<string, Counts>>({});
  const put = (taskId: string, change: Partial<Counts>) =>
    setState(taskId, { ...(state[taskId] ?? EMPTY), ...change });
  const store: CountsStore = {
    of: (taskId) => state[taskId],
    async load() {
      try {
        const { items } = await client.counts(projectId);
        setState(reconcile(Object.fromEntries(items.map(({ taskId, ...counts }) => [taskId, counts]))));
      } catch {
        // Badges are extras: the board works without them.
      }
    },
    setChecklist: (taskId, items) =>
      put(taskId, { checklistTotal: items.length, checklistDone: items.filter((item) => item.done).length }),
    setComments: (taskId, comments) => put(taskId, { comments }),
    apply(event) {
      if (event.projectId !== projectId && event.type !== "resync") return;
      if (event.type === "resync") void store.load();
      else if (event.type === "checklist.changed") store.setChecklist(event.taskId, event.items);
      else if (
        event.type === "comment.created" ||
        event.type === "comment.updated" ||
        event.type === "comment.deleted"
      )
        store.setComments(event.comment.taskId, event.commentCount);
    },
  };
  return store;
}
