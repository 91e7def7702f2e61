// Checklist items of a task: text, done, order. A task holds at most MAX_CHECKLIST_ITEMS.
import { z } from "zod";

export const MAX_CHECKLIST_ITEMS = 200;
export const MAX_CHECKLIST_TEXT = 500;

const codePoints = (value: string) => [...value].length;
export const checklistTextSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .refine((value) => codePoints(value) <= MAX_CHECKLIST_TEXT, "must be at most 500 characters");

export const checklistItemParam = z.object({ id: z.uuid(), itemId: z.uuid() });

export const createChecklistItemBody = z.strictObject({
  text: checklistTextSchema,
  done: z.boolean().optional(),
});
export const updateChecklistItemBody = z
  .strictObject({ text: checklistTextSchema.optional(), done: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, "at least one field is required");
/** The item's new place, 0-based, among the task's items. */
export const moveChecklistItemBody = z.strictObject({ index: z.int().min(0).max(MAX_CHECKLIST_ITEMS) });

export const checklistItemSchema = z.object({
  id: z.uuid(),
  taskId: z.uuid(),
  text: z.string(),
  done: z.boolean(),
  position: z.number(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const checklistSchema = z.object({ items: z.array(checklistItemSchema) });

export type ChecklistItem = z.infer<typeof checklistItemSchema>;
export type CreateChecklistItem = z.infer<typeof createChecklistItemBody>;
export type UpdateChecklistItem = z.infer<typeof updateChecklistItemBody>;

export const taskCountsSchema = z.object({
  taskId: z.uuid(),
  checklistDone: z.int(),
  checklistTotal: z.int(),
  comments: z.int(),
});
export const taskCountsList = z.object({ items: z.array(taskCountsSchema) });
export type TaskCounts = z.infer<typeof taskCountsSchema>;
