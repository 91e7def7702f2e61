import { z } from "zod";
import { ROLES } from "./access.ts";

// The limits of the projects table's CHECKs (zod counts code points, as PostgreSQL's length() does).
const projectName = z.string().trim().min(1, "is required").max(100, "must be at most 100 characters");
const projectDescription = z.string().max(2000, "must be at most 2,000 characters");

export const projectIdParam = z.object({ id: z.uuid() });
export const memberParam = z.object({ id: z.uuid(), userId: z.uuid() });
export const createProjectBody = z.strictObject({
  name: projectName,
  description: projectDescription.optional(),
});
export const updateProjectBody = z
  .strictObject({ name: projectName.optional(), description: projectDescription.optional() })
  .refine((body) => Object.keys(body).length > 0, "at least one field is required");
export const roleSchema = z.enum(ROLES);
export const updateMemberBody = z.strictObject({ role: roleSchema });

export const projectSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  role: roleSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** When the project was archived (read-only until restored); null while it is in use. */
  archivedAt: z.iso.datetime().nullable(),
});
export const memberSchema = z.object({
  userId: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
});

export type Project = z.infer<typeof projectSchema>;
export type Member = z.infer<typeof memberSchema>;
