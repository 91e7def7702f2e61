// Notification mails: SQL only. Immediate mails are jobs queued in the notification's own transaction;
// digests are one job per user and UTC day, queued by every replica's scheduler (unique keys), each
// covering the notifications after the user's previous digest (mail_digests).
import type { Queryable } from "../db/client.ts";
import { mailDeliverySql } from "../preferences/repository.ts";

export const NOTIFICATION_MAIL_JOB = "notification.mail";
export const DIGEST_JOB = "digest.send";
/** Most notifications listed in one digest; the rest are counted ("and 12 more"). */
export const DIGEST_MAX_ITEMS = 50;

/**
 * In the notifications' transaction: a `notification.mail` job for each of them whose recipient wants
 * that kind by mail immediately. Keyed by the notification, so it is queued (and sent) once.
 */
export async function queueImmediateMails(tx: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx`
    INSERT INTO jobs (kind, key, payload)
    SELECT ${NOTIFICATION_MAIL_JOB}, 'notification:' || n.id, jsonb_build_object('notificationId', n.id::text)
    FROM notifications n
    LEFT JOIN notification_preferences np ON np.user_id = n.user_id
    WHERE n.id = ANY(${ids as string[]}::bigint[]) AND ${mailDeliverySql(tx, tx`n.kind`)} = 'immediately'
    ORDER BY n.id
    ON CONFLICT (key) DO NOTHING`;
}

export interface Recipient {
  userId: string;
  email: string;
  name: string;
  /** How the notification's kind goes by mail to this user now. */
  delivery: string;
}

/** The recipient of notification `id` and their current choice for its kind. */
export async function recipientOf(db: Queryable, id: string): Promise<Recipient | undefined> {
  const [row] = await db<Recipient[]>`
    SELECT u.id AS user_id, u.email, u.name, ${mailDeliverySql(db, db`n.kind`)} AS delivery
    FROM notifications n
    JOIN users u ON u.id = n.user_id
    LEFT JOIN notification_preferences np ON np.user_id = n.user_id
    WHERE n.id = ${id}::bigint`;
  return row;
}

/** The user and whether they get mail at all now. */
export async function digestRecipient(db: Queryable, userId: string) {
  const [row] = await db<{ email: string; name: string; mailEnabled: boolean }[]>`
    SELECT u.email, u.name, coalesce(np.mail_enabled, true) AS mail_enabled
    FROM users u LEFT JOIN notification_preferences np ON np.user_id = u.id
    WHERE u.id = ${userId}`;
  return row;
}

// A user's unread notifications that go to the digest now, of the projects they are still in.
const pendingForDigest = (db: Queryable, userId: string, afterId: string) => db`
  FROM notifications n
  JOIN project_members m ON m.project_id = n.project_id AND m.user_id = n.user_id
  LEFT JOIN notification_preferences np ON np.user_id = n.user_id
  WHERE n.user_id = ${userId} AND n.read_at IS NULL AND n.id > ${afterId}::bigint
    AND ${mailDeliverySql(db, db`n.kind`)} = 'digest'`;

/**
 * Every replica, every scheduler interval, once the UTC hour is `hourUtc` or later: a digest job keyed
 * `digest:<userId>:<UTC date>` for every user with something for a digest since their last one. One
 * statement; the unique key makes it once per user and day however many replicas scan. Returns how
 * many were added.
 */
export async function enqueueDigests(sql: Queryable, hourUtc: number): Promise<number> {
  const result = await sql`
    INSERT INTO jobs (kind, key, payload)
    SELECT ${DIGEST_JOB}, 'digest:' || n.user_id || ':' || d.day,
      jsonb_build_object('userId', n.user_id, 'day', d.day::text)
    FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS day) d
    CROSS JOIN LATERAL (
      SELECT DISTINCT n.user_id FROM notifications n
      JOIN project_members m ON m.project_id = n.project_id AND m.user_id = n.user_id
      LEFT JOIN notification_preferences np ON np.user_id = n.user_id
      WHERE n.read_at IS NULL
        AND n.id > coalesce((SELECT max(g.through_id) FROM mail_digests g WHERE g.user_id = n.user_id), 0)
        AND ${mailDeliverySql(sql, sql`n.kind`)} = 'digest') n
    WHERE extract(hour FROM now() AT TIME ZONE 'UTC') >= ${hourUtc}
      AND NOT EXISTS (SELECT 1 FROM mail_digests g WHERE g.user_id = n.user_id AND g.day = d.day)
    ORDER BY n.user_id
    ON CONFLICT (key) DO NOTHING`;
  return result.count;
}

export interface DigestRange {
  afterId: string;
  throughId: string;
}

/**
 * The notifications the user's digest of `day` covers: fixed the first time (after the previous
 * digest, through the newest pending one) and the same on every later attempt of the job. Undefined
 * when there was nothing to send.
 */
export async function claimDigest(
  tx: Queryable,
  userId: string,
  day: string,
): Promise<DigestRange | undefined> {
  const range = () => tx<DigestRange[]>`
    SELECT after_id::text, through_id::text FROM mail_digests WHERE user_id = ${userId} AND day = ${day}::date`;
  const [existing] = await range();
  if (existing) return existing;
  // Another day's digest of this user being claimed at the same moment must start after this one.
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`digest:${userId}`}, 0))`;
  await tx`
    INSERT INTO mail_digests (user_id, day, after_id, through_id)
    SELECT ${userId}, ${day}::date, p.after_id, max(n.id)
    FROM (SELECT coalesce(max(through_id), 0) AS after_id FROM mail_digests WHERE user_id = ${userId}) p
    CROSS JOIN LATERAL (SELECT n.id ${pendingForDigest(tx, userId, "0")} AND n.id > p.after_id) n
    GROUP BY p.after_id
    ON CONFLICT (user_id, day) DO NOTHING`;
  const [claimed] = await range();
  return claimed;
}

/** The ids a digest lists (oldest first, at most DIGEST_MAX_ITEMS) and how many there are in all. */
export async function digestIds(db: Queryable, userId: string, range: DigestRange) {
  const rows = await db<{ id: string; total: number }[]>`
    SELECT n.id::text, count(*) OVER ()::int AS total
    ${pendingForDigest(db, userId, range.afterId)} AND n.id <= ${range.throughId}::bigint
    ORDER BY n.id LIMIT ${DIGEST_MAX_ITEMS}`;
  return { ids: rows.map((row) => row.id), total: rows[0]?.total ?? 0 };
}

/** Digest records older than `days`, except each user's newest (where the next digest starts). */
export async function pruneDigests(sql: Queryable, days: number): Promise<number> {
  const result = await sql`
    DELETE FROM mail_digests g
    WHERE g.created_at < now() - make_interval(days => ${days})
      AND EXISTS (SELECT 1 FROM mail_digests newer WHERE newer.user_id = g.user_id AND newer.day > g.day)`;
  return result.count;
}
