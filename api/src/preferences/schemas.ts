// Notification preferences: which mails a user gets. The reminder switches turn a due-date reminder off
// altogether (inbox and mail); the mail settings say, per notification kind, whether its mail goes out
// at once, in the daily digest, or not at all, and `mailEnabled: false` stops every notification mail.
// The user's time zone lives here too (same row, same GET/PUT).
import { z } from "zod";
import { NOTIFICATION_KINDS, type NotificationKind } from "../notifications/schemas.ts";
import { timeZoneSchema } from "../recurrence/schemas.ts";

export const MAIL_DELIVERIES = ["immediately", "digest", "off"] as const;
export type MailDelivery = (typeof MAIL_DELIVERIES)[number];

/**
 * A kind the user never chose gets this. Reminders, assignments, mentions and invitations to a project
 * are addressed to you; comments on tasks you follow can be many, so they wait for the digest.
 */
export const DEFAULT_MAIL_DELIVERY: Record<NotificationKind, MailDelivery> = {
  assigned: "immediately",
  mentioned: "immediately",
  commented: "digest",
  due_soon: "immediately",
  overdue: "immediately",
  added_to_project: "immediately",
};

const delivery = z.enum(MAIL_DELIVERIES);
const deliveryByKind = z.strictObject(
  Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, delivery])) as Record<
    NotificationKind,
    typeof delivery
  >,
);

export const preferencesSchema = z.object({
  /** A reminder 24 hours before a task assigned to you is due (inbox and mail). */
  dueSoonReminders: z.boolean(),
  /** A reminder when a task assigned to you becomes overdue (inbox and mail). */
  overdueReminders: z.boolean(),
  /** false: no notification mail at all, whatever `mailDelivery` says. */
  mailEnabled: z.boolean(),
  /** Per notification kind: mail it at once, in the daily digest, or not at all. */
  mailDelivery: deliveryByKind,
  /** The IANA zone your repeating tasks' days and times are computed in (default UTC). */
  timeZone: z.string(),
});

/** PUT: any subset, `mailDelivery` too; the others keep their values. */
export const updatePreferencesBody = preferencesSchema
  .extend({ mailDelivery: deliveryByKind.partial(), timeZone: timeZoneSchema })
  .partial()
  .strict();

export type Preferences = z.infer<typeof preferencesSchema>;
export type UpdatePreferences = z.infer<typeof updatePreferencesBody>;

export const DEFAULT_PREFERENCES: Preferences = {
  dueSoonReminders: true,
  overdueReminders: true,
  mailEnabled: true,
  mailDelivery: DEFAULT_MAIL_DELIVERY,
  timeZone: "UTC",
};
