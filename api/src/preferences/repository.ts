// notification_preferences: SQL only. No row means the defaults (everything on).
import type { Queryable } from "../db/client.ts";
import { DEFAULT_PREFERENCES, type Preferences, type UpdatePreferences } from "./schemas.ts";

const preferenceColumns = (sql: Queryable) =>
  sql`due_soon_reminders, overdue_reminders, coalesce(time_zone, ${DEFAULT_PREFERENCES.timeZone}) AS time_zone`;

export async function findPreferences(sql: Queryable, userId: string): Promise<Preferences> {
  const [row] = await sql<Preferences[]>`
    SELECT ${preferenceColumns(sql)} FROM notification_preferences WHERE user_id = ${userId}`;
  return row ?? DEFAULT_PREFERENCES;
}

/** One statement: inserts the defaults with the changes, or applies the changes to the row. */
export async function savePreferences(
  sql: Queryable,
  userId: string,
  changes: UpdatePreferences,
): Promise<Preferences> {
  const dueSoon = changes.dueSoonReminders ?? null;
  const overdue = changes.overdueReminders ?? null;
  const timeZone = changes.timeZone ?? null;
  const [row] = await sql<Preferences[]>`
    INSERT INTO notification_preferences (user_id, due_soon_reminders, overdue_reminders, time_zone)
    VALUES (${userId}, coalesce(${dueSoon}::boolean, true), coalesce(${overdue}::boolean, true), ${timeZone}::text)
    ON CONFLICT (user_id) DO UPDATE SET
      due_soon_reminders = coalesce(${dueSoon}::boolean, notification_preferences.due_soon_reminders),
      overdue_reminders = coalesce(${overdue}::boolean, notification_preferences.overdue_reminders),
      time_zone = coalesce(${timeZone}::text, notification_preferences.time_zone),
      updated_at = now()
    RETURNING ${preferenceColumns(sql)}`;
  if (!row) throw new Error("preferences not saved");
  return row;
}
