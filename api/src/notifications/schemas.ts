// The in-app inbox: what happened to or for a user, newest first, each unread until they read it.
// Shared type-only with the web (web/src/api/types.ts).
import { z } from "zod";
import { queryFlag } from "../http/query-flag.ts";

export const NOTIFICATION_KINDS = [
  "assigned",
  "mentioned",
  "commented",
  "due_soon",
  "overdue",
  "added_to_project",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

const notificationId = z.string().regex(/^\d{1,19}$/, "is not a notification id");

export const notificationSchema = z.object({
  id: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  projectId: z.uuid(),
  projectName: z.string(),
  taskId: z.uuid().nullable(),
  /** The task's current title (null when the notification is about the project). */
  taskTitle: z.string().nullable(),
  actorId: z.uuid().nullable(),
  /** The actor's current name; null for reminders and deleted accounts. */
  actorName: z.string().nullable(),
  /**
   * mentioned, commented: {commentId, excerpt}; added_to_project: {role}; due_soon, overdue: {dueAt};
   * assigned: {}.
   */
  data: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
  readAt: z.iso.datetime().nullable(),
});

export const notificationPage = z.object({
  items: z.array(notificationSchema),
  nextCursor: z.string().nullable(),
  /** The user's unread notifications, all pages together. */
  unread: z.number().int(),
});

export const notificationQuery = z.strictObject({
  /** The id of the last notification of the previous page (newest first). */
  cursor: notificationId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  /** "true": unread ones only. */
  unread: queryFlag(),
});

export const notificationParam = z.object({ id: notificationId });
export const unreadCount = z.object({ unread: z.number().int() });
export const watchState = z.object({ watching: z.boolean() });

export type Notification = z.infer<typeof notificationSchema>;
export type NotificationPage = z.infer<typeof notificationPage>;
export type NotificationQuery = z.infer<typeof notificationQuery>;
