import { z } from "zod";
import { TOKEN_PATTERN } from "./link-tokens.ts";
import { passwordSchema } from "./passwords.ts";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "must be an email address" }).max(254));
export const nameSchema = z.string().trim().min(1, "is required").max(100);

const linkTokenSchema = z.string().regex(TOKEN_PATTERN, "is not a valid link");

export const registerBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: nameSchema,
  /** From an invitation link: the new account joins the invitation's project (the address must match). */
  invitationToken: linkTokenSchema.optional(),
});
/** "Forgot password": answered alike for every address. */
export const resetRequestBody = z.strictObject({ email: emailSchema });
export const resetRequestResult = z.object({ message: z.string() });
export const completeResetBody = z.strictObject({ token: linkTokenSchema, password: passwordSchema });
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
export const authResult = z.object({
  user: userSchema,
  accessToken: z.string(),
  /** Sign-up with an invitation: the project the new account joined. */
  joinedProjectId: z.uuid().optional(),
});
export const refreshResult = z.object({ accessToken: z.string() });
export const meResult = z.object({ user: userSchema });
export const sessionSchema = z.object({
  id: z.string(),
  /** The session this request's access token belongs to. */
  current: z.boolean(),
  /** From the user agent, e.g. "Firefox 128"; null when not recognised. */
  browser: z.string().nullable(),
  /** From the user agent, e.g. "iOS 17"; null when not recognised. */
  os: z.string().nullable(),
  userAgent: z.string(),
  /** Client address at sign-in or the last refresh. */
  ip: z.string(),
  createdAt: z.iso.datetime(),
  /** Sign-in or the last refresh. */
  lastUsedAt: z.iso.datetime(),
});

export type User = z.infer<typeof userSchema>;
export type Session = z.infer<typeof sessionSchema>;
