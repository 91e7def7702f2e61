// A filtered, sorted list of a project's tasks as the server pages it: the first page follows the
// query, "Load more" appends the next, and live events about the project refetch (debounced, as one
// change often brings several events).
import { createResource, createSignal, onCleanup, type Resource } from "solid-js";
import { live } from "../api/events";
import { tasksApi } from "../api/tasks";
import type { Task } from "../api/types";

export type TaskQuery = Record<string, string | undefined>;

export interface TaskListStore {
  /** The first page: its `error`, `loading` and `latest` say what the view shows. */
  page: Resource<Task[]>;
  /** Every task fetched so far, first page first. */
  items: () => Task[];
  hasMore: () => boolean;
  loadingMore: () => boolean;
  loadMore(): Promise<void>;
  refetch(): void;
}

export function createTaskListStore(
  projectId: () => string,
  query: () => TaskQuery,
  client = tasksApi,
): TaskListStore {
  const [extra, setExtra] = createSignal<Task[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loadingMore, setLoadingMore] = createSignal(false);
  const [page, { refetch }] = createResource(query, async (q) => {
    const result = await client.tasks(q);
    setExtra([]);
    setCursor(result.nextCursor ?? null);
    return result.items;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const off = live.subscribe((event) => {
    if (event.type === "resync" || event.projectId === projectId()) {
      clearTimeout(timer);
      timer = setTimeout(() => void refetch(), 250);
    }
  });
  onCleanup(() => {
    off();
    clearTimeout(timer);
  });

  return {
    page,
    items: () => [...(page.latest ?? []), ...extra()],
    hasMore: () => !!cursor(),
    loadingMore,
    async loadMore() {
      const next = cursor();
      if (!next) return;
      setLoadingMore(true);
      try {
        const result = await client.tasks({ ...query(), cursor: next });
        setExtra((list) => [...list, ...result.items]);
        setCursor(result.nextCursor ?? null);
      } finally {
        setLoadingMore(false);
      }
    },
    refetch: () => void refetch(),
  };
}
