// Notification use cases. Other features write notifications with `notify(tx, …)` inside the
// transaction of what caused them (a refused or rolled-back change notifies nobody), then, after the
// commit, hand what it answered to `announce`, which tells each recipient's event stream (every tab
// of theirs) with their new unread count. The inbox itself: list, count, mark one or all read; watch
// and unwatch a task (commenters watch the task they commented on).
import { type Queryable, type Sql, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { notFound } from "../http/errors.ts";
import { queueImmediateMails } from "../notification-mail/repository.ts";
import * as tasks from "../tasks/repository.ts";
import * as notifications from "./repository.ts";
import type { NotificationQuery } from "./schemas.ts";

export type { Created, NewNotifications } from "./repository.ts";

/**
 * Writes one notification of `input.kind` for each recipient who is a member of the project, except
 * the actor; with `dedupeKey`, at most once per recipient and key (a reminder sent twice writes one).
 * Recipients who want that kind by mail immediately get a mail job in the same transaction, unless
 * `mailedByCaller` (a reminder job mails itself, once it has checked the task is still due).
 * Call it inside the transaction of the cause; answers the rows written, for `announce` after commit.
 */
export async function notify(
  tx: Queryable,
  input: notifications.NewNotifications & { mailedByCaller?: boolean },
): Promise<notifications.Created[]> {
  const created = await notifications.insertNotifications(tx, input);
  if (!input.mailedByCaller)
    await queueImmediateMails(
      tx,
      created.map((row) => row.id),
    );
  return created;
}

/** The task's assignee and watchers (who hear of a comment on it), inside a caller's transaction. */
export const followersOf = (tx: Queryable, taskId: string) => notifications.followersOf(tx, taskId);

/** Makes `userId` watch the task (a commenter follows the conversation they joined). */
export const watchTask = (tx: Queryable, taskId: string, userId: string) =>
  notifications.addWatcher(tx, taskId, userId);

/** Publishes `notification.created` to each recipient's stream. Call after the commit. */
export async function announce(sql: Sql, publish: Publish, created: readonly notifications.Created[]) {
  if (created.length === 0) return;
  const rows = await notifications.notificationsById(
    sql,
    created.map((row) => row.id),
  );
  const unread = new Map<string, number>();
  for (const { recipientId, ...notification } of rows) {
    if (!unread.has(recipientId)) unread.set(recipientId, await notifications.countUnread(sql, recipientId));
    await publish({
      type: "notification.created",
      recipientId,
      actorId: notification.actorId,
      notification,
      unread: unread.get(recipientId) ?? 0,
    });
  }
}

export function createNotificationService({ sql, metrics }: Deps, publish: Publish) {
  const readableTask = async (userId: string, taskId: string) => {
    const found = await tasks.getTaskWithRole(sql, taskId, userId);
    if (!found?.role) throw notFound("task");
    return found.task;
  };

  return {
    async list(userId: string, query: NotificationQuery) {
      const [page, unread] = await timed(metrics, "notifications.list", () =>
        Promise.all([
          notifications.listNotifications(sql, userId, query),
          notifications.countUnread(sql, userId),
        ]),
      );
      return { ...page, unread };
    },

    unreadCount: (userId: string) =>
      timed(metrics, "notifications.count", () => notifications.countUnread(sql, userId)),

    async markRead(userId: string, id: string) {
      const found = await timed(metrics, "notifications.read", () => notifications.markRead(sql, userId, id));
      if (!found) throw notFound("notification");
      const unread = await notifications.countUnread(sql, userId);
      await publish({
        type: "notification.read",
        recipientId: userId,
        actorId: userId,
        ids: [id],
        all: false,
        unread,
      });
      return { unread };
    },

    async markAllRead(userId: string) {
      await timed(metrics, "notifications.read_all", () => notifications.markAllRead(sql, userId));
      const unread = await notifications.countUnread(sql, userId);
      await publish({
        type: "notification.read",
        recipientId: userId,
        actorId: userId,
        ids: [],
        all: true,
        unread,
      });
      return { unread };
    },

    async watching(userId: string, taskId: string) {
      await readableTask(userId, taskId);
      return { watching: await notifications.isWatching(sql, taskId, userId) };
    },

    /** Any member may follow (or stop following) a task's comments, viewers included. */
    async setWatching(userId: string, taskId: string, watching: boolean) {
      await readableTask(userId, taskId);
      await timed(metrics, watching ? "watchers.add" : "watchers.remove", () =>
        watching
          ? notifications.addWatcher(sql, taskId, userId)
          : notifications.removeWatcher(sql, taskId, userId),
      );
      return { watching };
    },
  };
}
