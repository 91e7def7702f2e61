// Notification preferences: which mails a user gets. Minimal on purpose: the notifications feature adds
// its own switches here (a column with a default in notification_preferences, a field below).
import { z } from "zod";
import { timeZoneSchema } from "../recurrence/schemas.ts";

export const preferencesSchema = z.object({
  /** A mail 24 hours before a task assigned to you is due. */
  dueSoonReminders: z.boolean(),
  /** A mail when a task assigned to you becomes overdue. */
  overdueReminders: z.boolean(),
  /** The IANA zone your repeating tasks' days and times are computed in (default UTC). */
  timeZone: z.string(),
});

/** PUT: any subset; the others keep their values. */
export const updatePreferencesBody = preferencesSchema
  .extend({ timeZone: timeZoneSchema })
  .partial()
  .strict();

export type Preferences = z.infer<typeof preferencesSchema>;
export type UpdatePreferences = z.infer<typeof updatePreferencesBody>;

export const DEFAULT_PREFERENCES: Preferences = {
  dueSoonReminders: true,
  overdueReminders: true,
  timeZone: "UTC",
};
