// The signed-in user's inbox: the unread count the header shows (read on sign-in, then kept by the
// live events, which carry the new count: every tab of the user follows the others), and the inbox
// page's list, newest first, a page at a time.
import { createSignal } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { live } from "../api/events";
import { notificationsApi } from "../api/notifications";
import type { LiveEvent, Notification } from "../api/types";
import { errorToast } from "./toast";

export type InboxFilter = "all" | "unread";

export interface NotificationsStore {
  unread: () => number;
  items: Notification[];
  state: () => "idle" | "loading" | "ready" | "error";
  /** Why the last load failed. */
  error: () => unknown;
  filter: () => InboxFilter;
  hasMore: () => boolean;
  loadCount(): Promise<void>;
  /** The first page (of `filter`, or the current one). */
  load(filter?: InboxFilter): Promise<void>;
  more(): Promise<void>;
  markRead(id: string): Promise<void>;
  markAllRead(): Promise<void>;
  apply(event: LiveEvent): void;
  clear(): void;
}

export function createNotificationsStore(client = notificationsApi): NotificationsStore {
  const [unread, setUnread] = createSignal(0);
  const [items, setItems] = createStore<Notification[]>([]);
  const [state, setState] = createSignal<"idle" | "loading" | "ready" | "error">("idle");
  const [filter, setFilter] = createSignal<InboxFilter>("all");
  const [error, setError] = createSignal<unknown>();
  const [cursor, setCursor] = createSignal<string | null>(null);
  // A page asked for before a newer one answered is dropped.
  let generation = 0;

  const markLocally = (read: (item: Notification) => boolean) => {
    const now = new Date().toISOString();
    setItems(
      produce((list) => {
        for (const item of list) if (!item.readAt && read(item)) item.readAt = now;
      }),
    );
  };

  const store: NotificationsStore = {
    unread,
    items,
    state,
    error,
    filter,
    hasMore: () => cursor() !== null,
    async loadCount() {
      try {
        setUnread((await client.unreadCount()).unread);
      } catch {
        // The badge is an extra: the next event or page load sets it.
      }
    },
    async load(next = filter()) {
      const mine = ++generation;
      setFilter(next);
      if (state() !== "ready") setState("loading");
      try {
        const page = await client.notifications({ unread: next === "unread" });
        if (mine !== generation) return;
        setItems(page.items);
        setCursor(page.nextCursor ?? null);
        setUnread(page.unread);
        setState("ready");
      } catch (e) {
        if (mine !== generation) return;
        setError(e);
        setState("error");
      }
    },
    async more() {
      const after = cursor();
      if (!after) return;
      const mine = generation;
      try {
        const page = await client.notifications({ cursor: after, unread: filter() === "unread" });
        if (mine !== generation) return;
        const known = new Set(items.map((item) => item.id));
        setItems(produce((list) => void list.push(...page.items.filter((item) => !known.has(item.id)))));
        setCursor(page.nextCursor ?? null);
        setUnread(page.unread);
      } catch (e) {
        errorToast(e, "Could not load older notifications");
      }
    },
    async markRead(id) {
      try {
        const { unread: left } = await client.markRead(id);
        markLocally((item) => item.id === id);
        setUnread(left);
      } catch (e) {
        errorToast(e, "Could not mark the notification as read");
      }
    },
    async markAllRead() {
      try {
        const { unread: left } = await client.markAllRead();
        markLocally(() => true);
        setUnread(left);
      } catch (e) {
        errorToast(e, "Could not mark the notifications as read");
      }
    },
    apply(event) {
      switch (event.type) {
        case "notification.created":
          setUnread(event.unread);
          if (state() === "ready" && !items.some((item) => item.id === event.notification.id))
            setItems(produce((list) => void list.unshift(event.notification)));
          break;
        case "notification.read":
          setUnread(event.unread);
          markLocally((item) => event.all || event.ids.includes(item.id));
          break;
        case "resync":
        case "member.removed":
        case "project.deleted":
          // Leaving a project takes its notifications out of the inbox.
          void store.loadCount();
          if (state() === "ready") void store.load();
          break;
      }
    },
    clear() {
      generation += 1;
      setUnread(0);
      setItems([]);
      setCursor(null);
      setState("idle");
    },
  };
  return store;
}

let shared: NotificationsStore | undefined;
export function notificationsStore(): NotificationsStore {
  if (!shared) {
    const store = createNotificationsStore();
    live.subscribe((event) => store.apply(event));
    shared = store;
  }
  return shared;
}

/** Whether the user watches a task (hears of its comments); commenting makes them watch it. */
export function createWatchStore(taskId: string, client = notificationsApi) {
  const [watching, setWatching] = createSignal<boolean | undefined>();
  return {
    watching,
    async load() {
      try {
        setWatching((await client.watching(taskId)).watching);
      } catch {
        // The toggle stays hidden; the rest of the dialog works.
      }
    },
    /** After one's own comment: the server made the author a watcher. */
    commented: () => setWatching(true),
    async toggle() {
      const next = !watching();
      setWatching(next);
      try {
        setWatching((await client.setWatching(taskId, next)).watching);
      } catch (e) {
        setWatching(!next);
        errorToast(e, next ? "Could not watch the task" : "Could not stop watching the task");
      }
    },
  };
}
