// calendar_feeds and the feed's tasks: SQL only.
import type { Queryable } from "../db/client.ts";
import type { FeedTask } from "./ical.ts";

export interface FeedRow {
  userId: string;
  assignedOnly: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** At most this many events in one feed (the earliest due dates are kept). */
export const FEED_EVENT_LIMIT = 5000;

export async function findFeed(sql: Queryable, userId: string): Promise<FeedRow | undefined> {
  const [row] = await sql<FeedRow[]>`
    SELECT user_id, assigned_only, created_at, last_used_at FROM calendar_feeds WHERE user_id = ${userId}`;
  return row;
}

/** Creates the user's feed or gives it a new token (the old one stops working with this statement). */
export async function saveFeed(
  sql: Queryable,
  userId: string,
  hash: string,
  assignedOnly: boolean | undefined,
): Promise<FeedRow> {
  const option = assignedOnly ?? null;
  const [row] = await sql<FeedRow[]>`
    INSERT INTO calendar_feeds (user_id, token_hash, assigned_only)
    VALUES (${userId}, ${hash}, coalesce(${option}::boolean, false))
    ON CONFLICT (user_id) DO UPDATE SET
      token_hash = excluded.token_hash,
      assigned_only = coalesce(${option}::boolean, calendar_feeds.assigned_only),
      created_at = now(),
      last_used_at = NULL
    RETURNING user_id, assigned_only, created_at, last_used_at`;
  if (!row) throw new Error("calendar feed not saved");
  return row;
}

export async function setAssignedOnly(
  sql: Queryable,
  userId: string,
  assignedOnly: boolean,
): Promise<FeedRow | undefined> {
  const [row] = await sql<FeedRow[]>`
    UPDATE calendar_feeds SET assigned_only = ${assignedOnly} WHERE user_id = ${userId}
    RETURNING user_id, assigned_only, created_at, last_used_at`;
  return row;
}

export async function deleteFeed(sql: Queryable, userId: string): Promise<boolean> {
  const result = await sql`DELETE FROM calendar_feeds WHERE user_id = ${userId}`;
  return result.count === 1;
}

/**
 * The feed with this token hash, with its owner's name; marks it used (at most once an hour, so a
 * polling calendar app does not write on every fetch).
 */
export async function useFeed(
  sql: Queryable,
  hash: string,
): Promise<{ userId: string; userName: string; assignedOnly: boolean } | undefined> {
  const [row] = await sql<{ userId: string; userName: string; assignedOnly: boolean }[]>`
    WITH feed AS (
      SELECT f.user_id, u.name AS user_name, f.assigned_only
      FROM calendar_feeds f JOIN users u ON u.id = f.user_id
      WHERE f.token_hash = ${hash}
    ), used AS (
      UPDATE calendar_feeds SET last_used_at = now()
      WHERE token_hash = ${hash} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 hour')
    )
    SELECT user_id, user_name, assigned_only FROM feed`;
  return row;
}

/**
 * The open tasks with a due date in the user's projects (current memberships, neither task nor
 * project archived, not done), optionally only those assigned to the user; by due date. A task that
 * repeats from its due date carries its rule and zone; one that repeats from its completion does not
 * (its next dates depend on when it is done), so it is a single event.
 */
export async function feedTasks(sql: Queryable, userId: string, assignedOnly: boolean): Promise<FeedTask[]> {
  return sql<FeedTask[]>`
    SELECT t.id, t.project_id, p.name AS project_name, t.title, t.description, t.due_at, t.updated_at,
      t.version, CASE WHEN t.recurrence_from = 'due' THEN t.recurrence_rule END AS rrule,
      t.recurrence_time_zone AS time_zone
    FROM project_members m
    JOIN projects p ON p.id = m.project_id AND p.archived_at IS NULL
    JOIN tasks t ON t.project_id = m.project_id
    WHERE m.user_id = ${userId} AND t.due_at IS NOT NULL AND t.archived_at IS NULL
      AND t.status <> 'done' AND t.completed_at IS NULL
      AND (NOT ${assignedOnly}::boolean OR t.assignee_id = ${userId})
    ORDER BY t.due_at, t.id
    LIMIT ${FEED_EVENT_LIMIT}`;
}
