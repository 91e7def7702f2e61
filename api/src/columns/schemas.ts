// A project's board columns. `kind` maps the API's task status onto columns (a task's status is its
// column's kind; a status written by a client lands in the first column of that kind), `done` sets a
// task's completion time, `wipLimit` is shown and warned about on the board, never enforced.
import { z } from "zod";
import { statusSchema, taskSchema } from "../tasks/schemas.ts";

/** Columns a project may have. */
export const MAX_COLUMNS = 50;

const codePoints = (value: string) => [...value].length;
export const columnName = z
  .string()
  .trim()
  .min(1, "is required")
  .refine((value) => codePoints(value) <= 100, "must be at most 100 characters");
export const wipLimit = z.int().min(1).max(1000).nullable();

export const columnParam = z.object({ id: z.uuid(), columnId: z.uuid() });

export const createColumnBody = z.strictObject({
  name: columnName,
  /** Default in_progress: a new column is usually a step between "To do" and "Done". */
  kind: statusSchema.optional(),
  /** Default: the kind is done. */
  done: z.boolean().optional(),
  wipLimit: wipLimit.optional(),
});

export const updateColumnBody = z
  .strictObject({
    name: columnName.optional(),
    kind: statusSchema.optional(),
    done: z.boolean().optional(),
    wipLimit: wipLimit.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "at least one field is required");

/** Board order: the column goes to `position` (0-based index among the project's columns). */
export const moveColumnBody = z.strictObject({ position: z.int().min(0).max(MAX_COLUMNS) });

export const deleteColumnQuery = z.strictObject({
  /** Where the column's tasks go (required when it has any). */
  moveTo: z.uuid().optional(),
});

export const columnSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  kind: statusSchema,
  done: z.boolean(),
  wipLimit: z.int().nullable(),
  position: z.number(),
});
export const columnList = z.object({ items: z.array(columnSchema) });

/** The whole board of a project in one answer: its columns in order and all its tasks. */
export const boardSchema = z.object({ columns: z.array(columnSchema), tasks: z.array(taskSchema) });

export type Column = z.infer<typeof columnSchema>;
export type CreateColumn = z.infer<typeof createColumnBody>;
export type UpdateColumn = z.infer<typeof updateColumnBody>;
export type Board = z.infer<typeof boardSchema>;
