import { z } from "zod";
import { recurrenceInput, recurrenceSchema } from "../recurrence/schemas.ts";

const codePoints = (value: string) => [...value].length;

export const TASK_STATUSES = ["todo", "in_progress", "done"] as const;
export const TASK_PRIORITIES = ["low", "medium", "high", "urgent"] as const;
export const TASK_SORTS = [
  "position",
  "createdAt",
  "-createdAt",
  "updatedAt",
  "-updatedAt",
  "dueAt",
  "-dueAt",
  "priority",
  "-priority",
  "title",
  "-title",
] as const;

export const ARCHIVED_FILTERS = ["false", "true", "include"] as const;

export const statusSchema = z.enum(TASK_STATUSES);
export const prioritySchema = z.enum(TASK_PRIORITIES);
export const titleSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .refine((value) => codePoints(value) <= 200, "must be at most 200 characters");
export const descriptionSchema = z
  .string()
  .refine((value) => codePoints(value) <= 10_000, "must be at most 10,000 characters");
// PostgreSQL's calendar has no year 0 (1 BC precedes AD 1); refused here with the field named.
export const isoDate = z.iso
  .datetime({ offset: true, message: "must be an ISO 8601 date-time" })
  .refine((value) => !value.startsWith("0000"), "must be in year 0001 or later");
export const labelsSchema = z
  .array(z.string().trim().min(1).max(50))
  .max(20)
  .transform((labels) => [...new Set(labels)]);

export const taskIdParam = z.object({ id: z.uuid() });

const oneOfStatusAndColumn = (body: { status?: unknown; columnId?: unknown }) =>
  body.status === undefined || body.columnId === undefined;
const oneOfMessage = { message: "give status or columnId, not both", path: ["columnId"] };

export const createTaskBody = z
  .strictObject({
    projectId: z.uuid(),
    title: titleSchema,
    description: descriptionSchema.optional(),
    status: statusSchema.optional(),
    /** The project's column (its kind becomes the status); without it, the first column of `status`. */
    columnId: z.uuid().optional(),
    priority: prioritySchema.optional(),
    dueAt: isoDate.nullable().optional(),
    labels: labelsSchema.optional(),
    assigneeId: z.uuid().nullable().optional(),
    /** Repeats: the next occurrence is created when the task is completed (recurrence/). */
    recurrence: recurrenceInput.optional(),
  })
  .refine(oneOfStatusAndColumn, oneOfMessage);

export const updateTaskBody = z
  .strictObject({
    title: titleSchema.optional(),
    description: descriptionSchema.optional(),
    status: statusSchema.optional(),
    priority: prioritySchema.optional(),
    dueAt: isoDate.nullable().optional(),
    labels: labelsSchema.optional(),
    assigneeId: z.uuid().nullable().optional(),
    recurrence: recurrenceInput.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "at least one field is required");

/** To a column by id, or (as before columns) to the first column of a status's kind. */
export const moveTaskBody = z
  .strictObject({
    columnId: z.uuid().optional(),
    status: statusSchema.optional(),
    position: z.int().min(0).max(1_000_000),
  })
  .refine((body) => (body.status === undefined) !== (body.columnId === undefined), {
    message: "give columnId or status (one of them)",
    path: ["columnId"],
  });

export const listTasksQuery = z.strictObject({
  projectId: z.uuid(),
  status: statusSchema.optional(),
  priority: prioritySchema.optional(),
  label: z.string().trim().min(1).max(50).optional(),
  assigneeId: z.uuid().optional(),
  dueBefore: isoDate.optional(),
  dueAfter: isoDate.optional(),
  q: z.string().trim().min(1).max(200).optional(),
  sort: z.enum(TASK_SORTS).default("position"),
  /** false (default): tasks in use; true: archived tasks only; include: both. */
  archived: z.enum(ARCHIVED_FILTERS).default("false"),
  /** true: tasks with at least one unticked checklist item; false: tasks with none (or no checklist). */
  hasOpenChecklist: z.enum(["true", "false"]).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const taskSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  title: z.string(),
  description: z.string(),
  status: statusSchema,
  /** The task's column in its project; `status` is that column's kind. */
  columnId: z.uuid(),
  priority: prioritySchema,
  dueAt: z.iso.datetime().nullable(),
  labels: z.array(z.string()),
  assigneeId: z.uuid().nullable(),
  position: z.number(),
  version: z.int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  /** When the task was archived (off the board and the default list); null while it is in use. */
  archivedAt: z.iso.datetime().nullable(),
  /** How the task repeats (completing it creates the next occurrence); null: it does not. */
  recurrence: recurrenceSchema.nullable(),
});
export const taskPage = z.object({ items: z.array(taskSchema), nextCursor: z.string().nullable() });

export type Task = z.infer<typeof taskSchema>;
export type TaskStatus = Task["status"];
export type TaskPriority = Task["priority"];
export type CreateTask = z.infer<typeof createTaskBody>;
export type UpdateTask = z.infer<typeof updateTaskBody>;
export type ListTasksQuery = z.infer<typeof listTasksQuery>;
export type TaskSort = (typeof TASK_SORTS)[number];
