// Activity history: what changed on a task, who did it and when. `data` depends on `kind`.
import { z } from "zod";

export const ACTIVITY_KINDS = [
  "task.created",
  "task.updated",
  "task.moved",
  "task.deleted",
  "task.archived",
  "task.restored",
  /** Completing a repeating task created its next occurrence: `{nextTaskId, dueAt}`. */
  "task.recurred",
  "project.archived",
  "project.restored",
  "project.imported",
  "label.renamed",
  "label.deleted",
  "checklist.added",
  "checklist.edited",
  "checklist.checked",
  "checklist.unchecked",
  "checklist.reordered",
  "checklist.deleted",
  "comment.added",
  "comment.edited",
  "comment.deleted",
  "attachment.added",
  "attachment.deleted",
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** A field change: the value before and after (JSON values as the task's API shows them). */
export const fieldChange = z.object({ from: z.unknown(), to: z.unknown() });

export const activitySchema = z.object({
  id: z.string(),
  projectId: z.uuid(),
  taskId: z.uuid().nullable(),
  actorId: z.uuid().nullable(),
  actorName: z.string().nullable(),
  kind: z.enum(ACTIVITY_KINDS),
  /**
   * task.created/deleted/archived/restored: {title}; project.archived/restored: {} (no task);
   * project.imported: {source: "trello", board, tasks} (no task; the board's name, tasks created);
   * label.renamed: {from, to, tasks} and label.deleted: {name, tasks} (no task; tasks: how many carried it);
   * task.updated: {changes: {field: {from, to}}} (a column change: `column` with the names);
   * task.moved: {from, to} (statuses), {fromColumn, toColumn} ({id, name}), index; checklist.*: {itemId, text} (edited: {from, to} too); comment.*: {commentId, excerpt}; attachment.*: {attachmentId, name, size}.
   */
  data: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});
export const activityPage = z.object({ items: z.array(activitySchema), nextCursor: z.string().nullable() });

export const activityQuery = z.strictObject({
  /** The id of the last entry of the previous page (entries are newest first). */
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, "is not a cursor from this API")
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

export type Activity = z.infer<typeof activitySchema>;
export type ActivityPage = z.infer<typeof activityPage>;
export type ActivityQuery = z.infer<typeof activityQuery>;
