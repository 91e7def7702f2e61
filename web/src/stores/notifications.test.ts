import { expect, test } from "bun:test";
import type { notificationsApi } from "../api/notifications";
import type { Notification } from "../api/types";
import { createNotificationsStore, createWatchStore } from "./notifications";

const note = (id: string, readAt: string | null = null): Notification => ({
  id,
  kind: "assigned",
  projectId: "00000000-0000-4000-8000-000000000001",
  projectName: "Inbox",
  taskId: "00000000-0000-4000-8000-000000000002",
  taskTitle: `Task ${id}`,
  actorId: null,
  actorName: "Ada",
  data: {},
  createdAt: "2030-01-01T00:00:00.000Z",
  readAt,
});

const fake = (overrides: Partial<typeof notificationsApi> = {}) =>
  ({
    unreadCount: async () => ({ unread: 2 }),
    notifications: async (options: { cursor?: string; unread?: boolean } = {}) =>
      options.cursor
        ? { items: [note("1")], nextCursor: null, unread: 2 }
        : { items: [note("3"), note("2", "2030-01-01T00:00:00.000Z")], nextCursor: "2", unread: 2 },
    markRead: async () => ({ unread: 1 }),
    markAllRead: async () => ({ unread: 0 }),
    ...overrides,
  }) as unknown as typeof notificationsApi;

test("the count comes from the server, then from each event, which also updates the open list", async () => {
  const store = createNotificationsStore(fake());
  await store.loadCount();
  expect(store.unread()).toBe(2);
  // Before the inbox was opened, an event only moves the count.
  store.apply({
    type: "notification.created",
    recipientId: "u",
    actorId: null,
    notification: note("4"),
    unread: 3,
  });
  expect(store.unread()).toBe(3);
  expect(store.items).toEqual([]);

  await store.load();
  expect(store.items.map((item) => item.id)).toEqual(["3", "2"]);
  expect(store.hasMore()).toBe(true);
  await store.more();
  expect(store.items.map((item) => item.id)).toEqual(["3", "2", "1"]);
  expect(store.hasMore()).toBe(false);

  store.apply({
    type: "notification.created",
    recipientId: "u",
    actorId: null,
    notification: note("5"),
    unread: 3,
  });
  // The same event twice (a replay) lists it once.
  store.apply({
    type: "notification.created",
    recipientId: "u",
    actorId: null,
    notification: note("5"),
    unread: 3,
  });
  expect(store.items.map((item) => item.id)).toEqual(["5", "3", "2", "1"]);

  // Another tab read one, then all.
  store.apply({
    type: "notification.read",
    recipientId: "u",
    actorId: "u",
    ids: ["5"],
    all: false,
    unread: 2,
  });
  expect(store.unread()).toBe(2);
  expect(store.items.find((item) => item.id === "5")?.readAt).toBeString();
  expect(store.items.find((item) => item.id === "3")?.readAt).toBeNull();
  store.apply({ type: "notification.read", recipientId: "u", actorId: "u", ids: [], all: true, unread: 0 });
  expect(store.items.every((item) => item.readAt !== null)).toBe(true);
  expect(store.unread()).toBe(0);

  store.clear();
  expect(store.unread()).toBe(0);
  expect(store.items).toEqual([]);
  expect(store.state()).toBe("idle");
});

test("mark one and all read take the server's count", async () => {
  const store = createNotificationsStore(fake());
  await store.load();
  await store.markRead("3");
  expect(store.unread()).toBe(1);
  expect(store.items[0]?.readAt).toBeString();
  await store.markAllRead();
  expect(store.unread()).toBe(0);
});

test("a failed load says so; watching rolls back when refused", async () => {
  const failing = createNotificationsStore(
    fake({
      notifications: async () => {
        throw new Error("offline");
      },
    }),
  );
  await failing.load();
  expect(failing.state()).toBe("error");

  let refuse = false;
  const watch = createWatchStore("t1", {
    watching: async () => ({ watching: false }),
    setWatching: async (_task: string, watching: boolean) => {
      if (refuse) throw new Error("refused");
      return { watching };
    },
  } as unknown as typeof notificationsApi);
  await watch.load();
  expect(watch.watching()).toBe(false);
  await watch.toggle();
  expect(watch.watching()).toBe(true);
  refuse = true;
  await watch.toggle();
  expect(watch.watching()).toBe(true);
  watch.commented();
  expect(watch.watching()).toBe(true);
});
