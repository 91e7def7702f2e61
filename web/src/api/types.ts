// The API's types, imported type-only from its zod schemas (z.infer): one source, checked by the
// compiler on both sides. `import type`/`export type` are erased, so zod and the API's code never reach
// the bundle (types.test.ts fails on any other import from the API).
import type { Activity, ActivityPage } from "../../../api/src/activity/schemas.ts";
import type { Attachment, AttachmentList } from "../../../api/src/attachments/schemas.ts";
import type { Session, User } from "../../../api/src/auth/schemas.ts";
import type { ChecklistItem, TaskCounts } from "../../../api/src/checklists/schemas.ts";
import type { Board, Column } from "../../../api/src/columns/schemas.ts";
import type { Comment } from "../../../api/src/comments/schemas.ts";
import type { LiveEvent } from "../../../api/src/events/types.ts";
import type { Invitation, InvitationPreview, InviteResult } from "../../../api/src/invitations/schemas.ts";
import type { Label, LabelColor } from "../../../api/src/labels/schemas.ts";
import type {
  Notification,
  NotificationKind,
  NotificationPage,
} from "../../../api/src/notifications/schemas.ts";
import type { MailDelivery, Preferences, UpdatePreferences } from "../../../api/src/preferences/schemas.ts";
import type { Role } from "../../../api/src/projects/access.ts";
import type { Member, Project } from "../../../api/src/projects/schemas.ts";
import type { Task, TaskPriority, TaskStatus, UpdateTask } from "../../../api/src/tasks/schemas.ts";
import type { ImportResult } from "../../../api/src/transfer/schemas.ts";
import type { TrelloImportResult } from "../../../api/src/trello/schemas.ts";

export type {
  Activity,
  ActivityPage,
  Attachment,
  AttachmentList,
  Board,
  ChecklistItem,
  Column,
  Comment,
  ImportResult,
  Invitation,
  InvitationPreview,
  InviteResult,
  Label,
  LabelColor,
  LiveEvent,
  MailDelivery,
  Member,
  Notification,
  NotificationKind,
  NotificationPage,
  Preferences,
  Project,
  Role,
  Session,
  Task,
  TaskCounts,
  TrelloImportResult,
  UpdatePreferences,
  User,
};
export type Status = TaskStatus;
export type Priority = TaskPriority;
/** The fields a PATCH /api/tasks/:id may change. */
export type TaskInput = UpdateTask;
export type EventName = LiveEvent["type"];
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

/** The API's length limits, in characters (code points). */
export const LIMITS = {
  userName: 100,
  projectName: 100,
  projectDescription: 2000,
  taskTitle: 200,
  taskDescription: 10_000,
  columnName: 100,
  checklistText: 500,
  comment: 10_000,
} as const;

/** Each palette colour's name; the compiler keeps the keys complete, and their order is the API's
 * (types.test.ts checks it). styles.css draws each colour. */
export const LABEL_COLOR_NAME: Record<LabelColor, string> = {
  slate: "Slate",
  red: "Red",
  orange: "Orange",
  amber: "Amber",
  green: "Green",
  teal: "Teal",
  blue: "Blue",
  indigo: "Indigo",
  purple: "Purple",
  pink: "Pink",
};
export const LABEL_COLORS = Object.keys(LABEL_COLOR_NAME) as LabelColor[];

export const STATUSES: Status[] = ["todo", "in_progress", "done"];
export const STATUS_LABEL: Record<Status, string> = {
  todo: "To do",
  in_progress: "In progress",
  done: "Done",
};
export const PRIORITIES: Priority[] = ["low", "medium", "high", "urgent"];
export const PRIORITY_LABEL: Record<Priority, string> = {
  low: "Low",
  medium: "Medium",
  high: "High",
  urgent: "Urgent",
};
