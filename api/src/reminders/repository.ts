// Due-date reminders: SQL only.
import type { Queryable } from "../db/client.ts";
import { mailDeliverySql } from "../preferences/repository.ts";

export const REMINDER_JOB = "reminder.send";
export type ReminderType = "due24h" | "overdue";

/** Overdue tasks older than this get no reminder (a first deploy does not mail about last year). */
export const OVERDUE_LOOKBACK_HOURS = 48;

/**
 * Enqueues a reminder job for every open (not done, completed_at unset), assigned task due within 24 hours (type due24h) or overdue
 * by less than OVERDUE_LOOKBACK_HOURS (type overdue), whose assignee wants that reminder. One
 * statement, idempotent by construction: the key `reminder:<type>:<taskId>:<dueAt in ms>` is unique, so
 * replicas scanning at the same moment enqueue each reminder once, and a changed due date is a new
 * reminder. run_at is when the reminder became due (or when the due date was set, if later), so
 * jobs_lag_seconds shows a scan that runs late. Returns how many were added.
 */
export async function enqueueDueReminders(sql: Queryable): Promise<number> {
  const result = await sql`
    INSERT INTO jobs (kind, key, payload, run_at)
    SELECT ${REMINDER_JOB},
      'reminder:' || r.type || ':' || t.id || ':' || (extract(epoch FROM t.due_at) * 1000)::bigint,
      jsonb_build_object('type', r.type, 'taskId', t.id,
        'dueAtMs', (extract(epoch FROM t.due_at) * 1000)::bigint),
      least(now(), greatest(
        CASE r.type WHEN 'due24h' THEN t.due_at - interval '24 hours' ELSE t.due_at END, t.updated_at))
    FROM tasks t
    JOIN projects p ON p.id = t.project_id
    LEFT JOIN notification_preferences np ON np.user_id = t.assignee_id
    CROSS JOIN LATERAL (VALUES (CASE WHEN t.due_at > now() THEN 'due24h' ELSE 'overdue' END)) AS r (type)
    WHERE t.due_at IS NOT NULL AND t.status <> 'done' AND t.completed_at IS NULL AND t.archived_at IS NULL
      AND t.due_at > now() - make_interval(hours => ${OVERDUE_LOOKBACK_HOURS})
      AND t.due_at <= now() + interval '24 hours'
      AND t.assignee_id IS NOT NULL AND p.archived_at IS NULL
      AND CASE r.type WHEN 'due24h' THEN coalesce(np.due_soon_reminders, true)
                      ELSE coalesce(np.overdue_reminders, true) END
    ON CONFLICT (key) DO NOTHING`;
  return result.count;
}

export interface ReminderTarget {
  taskId: string;
  title: string;
  dueAt: Date;
  projectId: string;
  projectName: string;
  userId: string;
  email: string;
  name: string;
  /** How the recipient wants this reminder by mail now: immediately, digest or off. */
  mailDelivery: string;
}

/**
 * The task and its assignee, if the reminder is still wanted now: the task open (not done, not in a
 * done column: completed_at unset), neither it nor its
 * project archived, the due date the one the reminder was for, still due (due24h) or overdue, and the
 * assignee's preference on.
 */
export async function findReminderTarget(
  sql: Queryable,
  reminder: { type: ReminderType; taskId: string; dueAtMs: number },
): Promise<ReminderTarget | undefined> {
  const [row] = await sql<ReminderTarget[]>`
    SELECT t.id AS task_id, t.title, t.due_at, p.id AS project_id, p.name AS project_name,
      u.id AS user_id, u.email, u.name,
      ${mailDeliverySql(sql, reminder.type === "due24h" ? "due_soon" : "overdue")} AS mail_delivery
    FROM tasks t
    JOIN projects p ON p.id = t.project_id
    JOIN users u ON u.id = t.assignee_id
    LEFT JOIN notification_preferences np ON np.user_id = u.id
    WHERE t.id = ${reminder.taskId}
      AND t.status <> 'done' AND t.completed_at IS NULL AND t.archived_at IS NULL AND p.archived_at IS NULL
      AND (extract(epoch FROM t.due_at) * 1000)::bigint = ${reminder.dueAtMs}
      AND CASE ${reminder.type}
            WHEN 'due24h' THEN t.due_at > now() AND coalesce(np.due_soon_reminders, true)
            ELSE t.due_at <= now() AND coalesce(np.overdue_reminders, true) END`;
  return row;
}
