import { z } from "zod";
import { passwordSchema } from "./passwords.ts";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "must be an email address" }).max(254));
export const nameSchema = z.string().trim().min(1, "is required").max(100);

export const registerBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: nameSchema,
});
export const loginBody = z.strictObject({
  email: z.string().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(1024),
});
export const changePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: passwordSchema,
});
export const sessionParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
});
export const authResult = z.object({ user: userSchema, accessToken: z.string() });
export const sessionSchema = z.object({
  id: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime(),
  userAgent: z.string(),
  ip: z.string(),
  current: z.boolean(),
});
