import { z } from "zod";

/**
 * The label palette: colour names, as stored (labels.color CHECK, migration 0007). Clients draw each
 * with their own light and dark shades; the web's (web/src/labels/palette.ts) are tested for a text
 * contrast of at least 4.5:1 on the chip in both themes.
 */
export const LABEL_COLORS = [
  "slate",
  "red",
  "orange",
  "amber",
  "green",
  "teal",
  "blue",
  "indigo",
  "purple",
  "pink",
] as const;
export const DEFAULT_LABEL_COLOR = "slate";

export const labelColorSchema = z.enum(LABEL_COLORS, {
  error: `must be one of the palette's colours: ${LABEL_COLORS.join(", ")}`,
});
// The limits of a task's label (tasks/schemas.ts labelsSchema), which names one of these.
export const labelNameSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .max(50, "must be at most 50 characters");

export const labelParam = z.object({ id: z.uuid(), labelId: z.uuid() });
export const createLabelBody = z.strictObject({
  name: labelNameSchema,
  color: labelColorSchema.optional(),
});
export const updateLabelBody = z
  .strictObject({ name: labelNameSchema.optional(), color: labelColorSchema.optional() })
  .refine((body) => Object.keys(body).length > 0, "at least one field is required");

export const labelSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  color: labelColorSchema,
  createdAt: z.iso.datetime(),
});

export type Label = z.infer<typeof labelSchema>;
export type LabelColor = (typeof LABEL_COLORS)[number];
export type CreateLabel = z.infer<typeof createLabelBody>;
export type UpdateLabel = z.infer<typeof updateLabelBody>;
