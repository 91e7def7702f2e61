// Invitations: zod schemas of the routes (types by z.infer, shared type-only with web/).
import { z } from "zod";
import { TOKEN_PATTERN } from "../auth/link-tokens.ts";
import { emailSchema } from "../auth/schemas.ts";
import { roleSchema } from "../projects/schemas.ts";

export const inviteBody = z.strictObject({ email: emailSchema, role: roleSchema });
export const invitationParam = z.object({ id: z.uuid(), invitationId: z.uuid() });
/** A link's token: the sign-up page sends it back (in the body, never in a URL the server sees). */
export const invitationTokenSchema = z.string().regex(TOKEN_PATTERN, "is not a valid invitation link");
export const previewBody = z.strictObject({ token: invitationTokenSchema });

/**
 * The answer to an invitation: the same whether or not the address has an account (an account is
 * added to the project at once; anyone else gets a mail with a link to sign up).
 */
export const inviteResult = z.object({ email: z.string(), role: roleSchema });

/** A pending invitation as owners see it in project settings (never its token). */
export const invitationSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  email: z.string(),
  role: roleSchema,
  invitedByName: z.string().nullable(),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  /** Past expiresAt: the link no longer works; re-send to make a new one. */
  expired: z.boolean(),
});

/** What the sign-up page shows for a link. */
export const invitationPreview = z.object({
  email: z.string(),
  projectName: z.string(),
  invitedByName: z.string().nullable(),
});

export type Invitation = z.infer<typeof invitationSchema>;
export type InviteBody = z.infer<typeof inviteBody>;
export type InviteResult = z.infer<typeof inviteResult>;
export type InvitationPreview = z.infer<typeof invitationPreview>;
