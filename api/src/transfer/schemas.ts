// The export document. Ids are left out (they belong to one installation); people are referenced by
// email, so a file imports into another TaskPlatform as well as back into this one.
import { z } from "zod";
import { ROLES } from "../projects/access.ts";
import {
  descriptionSchema,
  labelsSchema,
  prioritySchema,
  statusSchema,
  titleSchema,
} from "../tasks/schemas.ts";

const timestamp = z.iso.datetime({ offset: true });

export const exportedTask = z.strictObject({
  title: titleSchema,
  description: descriptionSchema,
  status: statusSchema,
  priority: prioritySchema,
  dueAt: timestamp.nullable(),
  labels: labelsSchema,
  assigneeEmail: z.email().nullable(),
  position: z.number().finite(),
  createdAt: timestamp,
  updatedAt: timestamp,
  completedAt: timestamp.nullable(),
});

export const exportedProject = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000),
  createdAt: timestamp,
  updatedAt: timestamp,
  members: z.array(z.strictObject({ email: z.email(), role: z.enum(ROLES) })).max(1000),
  tasks: z.array(exportedTask).max(20_000),
});

export const exportDocument = z.strictObject({
  format: z.literal("taskplatform-export"),
  version: z.literal(1),
  exportedAt: timestamp,
  projects: z.array(exportedProject).max(500),
});

export type ExportDocument = z.infer<typeof exportDocument>;
