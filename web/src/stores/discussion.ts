// One task's checklist and comments, for the task dialog: loaded when it opens, changed through the
// API, and kept current by live events (checklist.changed carries the whole checklist; comment.*
// carry the comment). Each change also updates the board's counts (stores/counts.ts).
import { createSignal } from "solid-js";
import { discussionApi } from "../api/discussion";
import type { Activity, ChecklistItem, Comment, LiveEvent } from "../api/types";
import type { CountsStore } from "./counts";

export interface ChecklistStore {
  items: () => ChecklistItem[];
  load(): Promise<void>;
  add(text: string): Promise<void>;
  /** Ticks or unticks at once; the server's list comes back if it refuses. */
  toggle(item: ChecklistItem): Promise<void>;
  rename(item: ChecklistItem, text: string): Promise<void>;
  move(item: ChecklistItem, index: number): Promise<void>;
  remove(item: ChecklistItem): Promise<void>;
  apply(event: LiveEvent): void;
}

export function createChecklistStore(
  taskId: string,
  counts?: CountsStore,
  client = discussionApi,
): ChecklistStore {
  const [items, setItems] = createSignal<ChecklistItem[]>([]);
  const show = (next: ChecklistItem[]) => {
    setItems(next);
    counts?.setChecklist(taskId, next);
  };
  const load = async () => show((await client.checklist(taskId)).items);
  /** On a refusal, shows the server's list again and rethrows for the component to explain. */
  const guarded = async (run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      await load().catch(() => {});
      throw error;
    }
  };
  return {
    items,
    load,
    add: (text) =>
      guarded(async () => {
        const item = await client.addItem(taskId, text);
        if (!items().some((each) => each.id === item.id)) show([...items(), item]);
      }),
    toggle: (item) =>
      guarded(async () => {
        show(items().map((each) => (each.id === item.id ? { ...each, done: !item.done } : each)));
        await client.updateItem(taskId, item.id, { done: !item.done });
      }),
    rename: (item, text) =>
      guarded(async () => {
        const saved = await client.updateItem(taskId, item.id, { text });
        show(items().map((each) => (each.id === item.id ? saved : each)));
      }),
    move: (item, index) => guarded(async () => show((await client.moveItem(taskId, item.id, index)).items)),
    remove: (item) =>
      guarded(async () => {
        show(items().filter((each) => each.id !== item.id));
        await client.deleteItem(taskId, item.id);
      }),
    apply(event) {
      if (event.type === "checklist.changed" && event.taskId === taskId) setItems(event.items);
    },
  };
}

export interface CommentsStore {
  items: () => Comment[];
  load(): Promise<void>;
  add(body: string): Promise<void>;
  edit(commentId: string, body: string): Promise<void>;
  remove(commentId: string): Promise<void>;
  apply(event: LiveEvent): void;
}

export function createCommentsStore(
  taskId: string,
  counts?: CountsStore,
  client = discussionApi,
): CommentsStore {
  const [items, setItems] = createSignal<Comment[]>([]);
  const put = (comment: Comment) =>
    setItems((all) =>
      all.some((each) => each.id === comment.id)
        ? all.map((each) => (each.id === comment.id ? comment : each))
        : [...all, comment],
    );
  const drop = (commentId: string) => setItems((all) => all.filter((each) => each.id !== commentId));
  return {
    items,
    async load() {
      setItems((await client.comments(taskId)).items);
    },
    async add(body) {
      put(await client.addComment(taskId, body));
      counts?.setComments(taskId, items().length);
    },
    async edit(commentId, body) {
      put(await client.updateComment(taskId, commentId, body));
    },
    async remove(commentId) {
      await client.deleteComment(taskId, commentId);
      drop(commentId);
      counts?.setComments(taskId, items().length);
    },
    apply(event) {
      if (event.type === "comment.deleted" && event.comment.taskId === taskId) drop(event.comment.id);
      else if (
        (event.type === "comment.created" || event.type === "comment.updated") &&
        event.comment.taskId === taskId
      )
        put(event.comment);
    },
  };
}

export interface ActivityStore {
  entries: () => Activity[];
  hasMore: () => boolean;
  /** The newest page again (after a live event). */
  reload(): Promise<void>;
  /** The next older page. */
  more(): Promise<void>;
}

/** A task's history, or the project's with no task: newest first, a page at a time. */
export function createActivityStore(
  scope: { projectId: string; taskId?: string },
  client = discussionApi,
): ActivityStore {
  const [entries, setEntries] = createSignal<Activity[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  const fetchPage = (cursor?: string) =>
    scope.taskId
      ? client.taskActivity(scope.taskId, cursor)
      : client.projectActivity(scope.projectId, cursor);
  return {
    entries,
    hasMore: () => next() !== null,
    async reload() {
      const page = await fetchPage();
      setEntries(page.items);
      setNext(page.nextCursor);
    },
    async more() {
      const cursor = next();
      if (!cursor) return;
      const page = await fetchPage(cursor);
      setEntries((all) => [...all, ...page.items]);
      setNext(page.nextCursor);
    },
  };
}
