// notification_preferences: SQL only. No row, or a kind the user never set, means the defaults.
import type postgres from "postgres";
import type { Queryable } from "../db/client.ts";
import { NOTIFICATION_KINDS, type NotificationKind } from "../notifications/schemas.ts";
import {
  DEFAULT_MAIL_DELIVERY,
  DEFAULT_PREFERENCES,
  MAIL_DELIVERIES,
  type MailDelivery,
  type Preferences,
  type UpdatePreferences,
} from "./schemas.ts";

interface Row {
  dueSoonReminders: boolean;
  overdueReminders: boolean;
  mailEnabled: boolean;
  /** jsonb as text: postgres.js would camelCase the keys of a jsonb column (added_to_project). */
  mailDelivery: string;
  timeZone: string;
}

/** The stored choices over the defaults (a kind or value this version does not know is ignored). */
function preferencesOf(row: Row | undefined): Preferences {
  if (!row) return DEFAULT_PREFERENCES;
  const stored = JSON.parse(row.mailDelivery) as Record<string, unknown>;
  const mailDelivery = { ...DEFAULT_MAIL_DELIVERY };
  for (const kind of NOTIFICATION_KINDS) {
    const value = stored[kind];
    if (MAIL_DELIVERIES.includes(value as MailDelivery)) mailDelivery[kind] = value as MailDelivery;
  }
  return { ...row, mailDelivery };
}

/**
 * How a notification of `kind` reaches its recipient by mail now ('immediately' | 'digest' | 'off'),
 * for a query that LEFT JOINs the recipient's notification_preferences as `np`; `kind` is a column
 * reference such as db`n.kind` or a value.
 */
export const mailDeliverySql = (db: Queryable, kind: postgres.Fragment | NotificationKind) => db`
  CASE WHEN coalesce(np.mail_enabled, true)
    THEN coalesce(np.mail_delivery ->> ${kind}, ${db.json(DEFAULT_MAIL_DELIVERY)}::jsonb ->> ${kind})
    ELSE 'off' END`;

const preferenceColumns = (sql: Queryable) => sql`
  due_soon_reminders, overdue_reminders, mail_enabled, mail_delivery::text,
  coalesce(time_zone, ${DEFAULT_PREFERENCES.timeZone}) AS time_zone`;

export async function findPreferences(sql: Queryable, userId: string): Promise<Preferences> {
  const [row] = await sql<Row[]>`
    SELECT ${preferenceColumns(sql)} FROM notification_preferences WHERE user_id = ${userId}`;
  return preferencesOf(row);
}

/** One statement: inserts the defaults with the changes, or applies the changes to the row. */
export async function savePreferences(
  sql: Queryable,
  userId: string,
  changes: UpdatePreferences,
): Promise<Preferences> {
  const dueSoon = changes.dueSoonReminders ?? null;
  const overdue = changes.overdueReminders ?? null;
  const enabled = changes.mailEnabled ?? null;
  const delivery = sql.json(changes.mailDelivery ?? {});
  const timeZone = changes.timeZone ?? null;
  const [row] = await sql<Row[]>`
    INSERT INTO notification_preferences
      (user_id, due_soon_reminders, overdue_reminders, mail_enabled, mail_delivery, time_zone)
    VALUES (${userId}, coalesce(${dueSoon}::boolean, true), coalesce(${overdue}::boolean, true),
            coalesce(${enabled}::boolean, true), ${delivery}::jsonb, ${timeZone}::text)
    ON CONFLICT (user_id) DO UPDATE SET
      due_soon_reminders = coalesce(${dueSoon}::boolean, notification_preferences.due_soon_reminders),
      overdue_reminders = coalesce(${overdue}::boolean, notification_preferences.overdue_reminders),
      mail_enabled = coalesce(${enabled}::boolean, notification_preferences.mail_enabled),
      mail_delivery = notification_preferences.mail_delivery || ${delivery}::jsonb,
      time_zone = coalesce(${timeZone}::text, notification_preferences.time_zone),
      updated_at = now()
    RETURNING ${preferenceColumns(sql)}`;
  if (!row) throw new Error("preferences not saved");
  return preferencesOf(row);
}
