// Notifications and task watchers: SQL only, the queryable first.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { Notification, NotificationKind } from "./schemas.ts";

export type NotificationRow = WithDates<Notification, "createdAt" | "readAt">;

export interface NewNotifications {
  kind: NotificationKind;
  /** Who gets it. The actor, duplicates and non-members of the project are left out. */
  recipients: readonly string[];
  projectId: string;
  taskId?: string | null;
  /** Who caused it (never notified of their own action); null for the scheduler. */
  actorId: string | null;
  data?: Record<string, unknown>;
  /** At most one notification per recipient and key, ever: a second insert does nothing. */
  dedupeKey?: string;
}

export interface Created {
  id: string;
  userId: string;
}

/** One statement for every recipient; answers the rows written. */
export async function insertNotifications(tx: Queryable, input: NewNotifications): Promise<Created[]> {
  const recipients = [...new Set(input.recipients)].filter((id) => id !== input.actorId);
  if (recipients.length === 0) return [];
  return tx<Created[]>`
    INSERT INTO notifications (user_id, kind, project_id, task_id, actor_id, data, dedupe_key)
    SELECT r.user_id, ${input.kind}, ${input.projectId}, ${input.taskId ?? null}, ${input.actorId},
      ${tx.json((input.data ?? {}) as never)}, ${input.dedupeKey ?? null}
    FROM unnest(${recipients}::uuid[]) AS r (user_id)
    WHERE EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = ${input.projectId} AND m.user_id = r.user_id)
    ORDER BY r.user_id
    ON CONFLICT (user_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
    RETURNING id::text AS id, user_id`;
}

// A user sees the notifications of the projects they are a member of now: leaving a project takes
// its notifications out of the inbox (and the count) with it.
const select = (db: Queryable, withRecipient = false) => db`
  SELECT ${withRecipient ? db`n.user_id AS recipient_id,` : db``} n.id::text AS id, n.kind, n.project_id, p.name AS project_name, n.task_id, t.title AS task_title,
    n.actor_id, a.name AS actor_name, n.data, n.created_at, n.read_at
  FROM notifications n
  JOIN project_members m ON m.project_id = n.project_id AND m.user_id = n.user_id
  JOIN projects p ON p.id = n.project_id
  LEFT JOIN tasks t ON t.id = n.task_id
  LEFT JOIN users a ON a.id = n.actor_id`;

/** Newest first, `limit` after the cursor (a notification id). */
export async function listNotifications(
  db: Queryable,
  userId: string,
  { cursor, limit, unread }: { cursor?: string; limit: number; unread: boolean },
) {
  const rows = await db<NotificationRow[]>`${select(db)}
    WHERE n.user_id = ${userId}
      ${unread ? db`AND n.read_at IS NULL` : db``}
      ${cursor ? db`AND n.id < ${cursor}::bigint` : db``}
    ORDER BY n.id DESC LIMIT ${limit + 1}`;
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

/** The notifications with these ids, oldest first, each with its recipient. */
export const notificationsById = (db: Queryable, ids: string[]) =>
  db<(NotificationRow & { recipientId: string })[]>`${select(db, true)}
    WHERE n.id = ANY(${ids}::bigint[]) ORDER BY n.id`;

export async function countUnread(db: Queryable, userId: string): Promise<number> {
  const [row] = await db<{ count: number }[]>`
    SELECT count(*)::int AS count FROM notifications n
    WHERE n.user_id = ${userId} AND n.read_at IS NULL
      AND EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = n.project_id AND m.user_id = n.user_id)`;
  return row?.count ?? 0;
}

/** Marks the user's notification read (once: the first time stays); false when it is not theirs. */
export async function markRead(db: Queryable, userId: string, id: string): Promise<boolean> {
  const rows = await db`
    UPDATE notifications SET read_at = coalesce(read_at, now())
    WHERE id = ${id}::bigint AND user_id = ${userId} RETURNING id`;
  return rows.length > 0;
}

/** Marks every unread notification of the user read; answers how many. */
export async function markAllRead(db: Queryable, userId: string): Promise<number> {
  const rows = await db`
    UPDATE notifications SET read_at = now() WHERE user_id = ${userId} AND read_at IS NULL RETURNING id`;
  return rows.length;
}

/** The task's assignee and watchers: who hears of a comment on it. */
export async function followersOf(db: Queryable, taskId: string): Promise<string[]> {
  const rows = await db<{ userId: string }[]>`
    SELECT assignee_id AS user_id FROM tasks WHERE id = ${taskId} AND assignee_id IS NOT NULL
    UNION SELECT user_id FROM task_watchers WHERE task_id = ${taskId}`;
  return rows.map((row) => row.userId);
}

export async function isWatching(db: Queryable, taskId: string, userId: string): Promise<boolean> {
  const rows = await db`SELECT 1 FROM task_watchers WHERE task_id = ${taskId} AND user_id = ${userId}`;
  return rows.length > 0;
}

export const addWatcher = (db: Queryable, taskId: string, userId: string) =>
  db`INSERT INTO task_watchers (task_id, user_id) VALUES (${taskId}, ${userId}) ON CONFLICT DO NOTHING`;

export const removeWatcher = (db: Queryable, taskId: string, userId: string) =>
  db`DELETE FROM task_watchers WHERE task_id = ${taskId} AND user_id = ${userId}`;
