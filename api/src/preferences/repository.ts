// notification_preferences: SQL only. No row means the defaults (everything on).
import type { Queryable } from "../db/client.ts";
import { DEFAULT_PREFERENCES, type Preferences, type UpdatePreferences } from "./schemas.ts";

export async function findPreferences(sql: Queryable, userId: string): Promise<Preferences> {
  const [row] = await sql<Preferences[]>`
    SELECT due_soon_reminders, overdue_reminders FROM notification_preferences WHERE user_id = ${userId}`;
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
  const [row] = await sql<Preferences[]>`
    INSERT INTO notification_preferences (user_id, due_soon_reminders, overdue_reminders)
    VALUES (${userId}, coalesce(${dueSoon}::boolean, true), coalesce(${overdue}::boolean, true))
    ON CONFLICT (user_id) DO UPDATE SET
      due_soon_reminders = coalesce(${dueSoon}::boolean, notification_preferences.due_soon_reminders),
      overdue_reminders = coalesce(${overdue}::boolean, notification_preferences.overdue_reminders),
      updated_at = now()
    RETURNING due_soon_reminders, overdue_reminders`;
  if (!row) throw new Error("preferences not saved");
  return row;
}
