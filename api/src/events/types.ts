// The events the API publishes, one member of a union per event name: the publisher, the stream and
// the SPA (type-only) all use these, so a payload that changes shape fails to compile everywhere it
// is read.
import type { Attachment } from "../attachments/schemas.ts";
import type { ChecklistItem } from "../checklists/repository.ts";
import type { Column } from "../columns/schemas.ts";
import type { Comment } from "../comments/repository.ts";
import type { Jsonify } from "../json-types.ts";
import type { Label } from "../labels/repository.ts";
import type { NotificationRow } from "../notifications/repository.ts";
import type { MemberView, ProjectView } from "../projects/repository.ts";
import type { Task } from "../tasks/repository.ts";

interface About {
  projectId: string;
  /** The user whose request caused the event. */
  actorId: string;
  /** Project events go to the project's members, never to one user (UserEvent). */
  recipientId?: undefined;
}

/**
 * An event for one user only, whichever projects they are in: the stream sends it to that user's
 * connections (every tab) and to nobody else.
 */
interface ToRecipient {
  recipientId: string;
  /** The user whose request caused it; null for the scheduler's reminders. */
  actorId: string | null;
  projectId?: undefined;
}

export type UserEvent = ToRecipient &
  /** `unread`: the recipient's unread count after it. */
  (
    | { type: "notification.created"; notification: NotificationRow; unread: number }
    /** `ids` were marked read (`all`: every unread one was). */
    | { type: "notification.read"; ids: string[]; all: boolean; unread: number }
  );

export type ProjectEvent = About &
  (
    | { type: "task.created" | "task.updated" | "task.moved"; task: Task }
    | { type: "task.deleted"; task: Pick<Task, "id" | "projectId"> }
    | { type: "task.archived" | "task.restored"; task: Task }
    /** An import creates projects without reading them back: only the id and name are known. */
    | { type: "project.created"; project: ProjectView | Pick<ProjectView, "id" | "name"> }
    /** `project.role` is the actor's role, not the receiver's. */
    | { type: "project.updated"; project: ProjectView }
    | { type: "project.deleted" }
    | { type: "project.archived" | "project.restored"; project: ProjectView }
    | { type: "label.created"; label: Label }
    /** `tasks` carrying the label were renamed with it (new versions): clients refetch those. */
    | { type: "label.updated"; label: Label; previousName: string; tasks: number }
    /** The label was taken off `tasks` tasks (new versions). */
    | { type: "label.deleted"; label: Pick<Label, "id" | "name">; tasks: number }
    | { type: "member.added"; member: MemberView }
    | { type: "member.updated"; member: Pick<MemberView, "userId" | "role"> }
    | { type: "member.removed"; member: Pick<MemberView, "userId"> }
    | { type: "column.created" | "column.updated"; column: Column }
    /** `moveTo`: the column that received its tasks (a `resync` follows when there were any). */
    | { type: "column.deleted"; column: Pick<Column, "id" | "projectId">; moveTo: string | null }
    /** Every column of the project, in the new order. */
    | { type: "column.reordered"; columns: Column[] }
    /** The project's board changed wholesale (a column was renumbered, an import restored it), or,
     * with projectId "", events were lost (GAP_MARKER). */
    | { type: "resync"; reason?: string }
    /** The task's whole checklist after a change (200 items at most). */
    | { type: "checklist.changed"; taskId: string; items: ChecklistItem[] }
    /** `commentCount`: the task's comments after the change, for the card. */
    | { type: "comment.created" | "comment.updated"; comment: Comment; commentCount: number }
    | { type: "comment.deleted"; comment: Pick<Comment, "id" | "taskId">; commentCount: number }
    /** Without a download link: receivers list the task's attachments to get links of their own. */
    | { type: "attachment.added"; attachment: Omit<Attachment, "url" | "urlExpiresAt"> }
    | { type: "attachment.deleted"; attachment: Pick<Attachment, "id" | "taskId"> }
  );

export type DomainEvent = ProjectEvent | UserEvent;

/** A published event as read back from the stream: JSON, timestamps as ISO strings. */
export type StoredDomainEvent = Jsonify<DomainEvent>;

/** A `resync` the stream sends by itself (events were missed, the stream was interrupted). */
export interface StreamResync {
  reason: string;
}

/**
 * What an SSE client receives: a published event as JSON, or the stream's own resync, which is about
 * no project (`projectId?: undefined` lets every event be asked for its project). The SPA puts the
 * SSE event name into `type`.
 */
export type LiveEvent =
  | StoredDomainEvent
  | ({ type: "resync"; projectId?: undefined; actorId?: undefined } & Partial<StreamResync>);
