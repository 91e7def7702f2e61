// The invitation mail: built when the job runs (it may have been revoked, re-sent or have expired since
// it was queued), with the link derived from the invitation's current nonce, sent once per key.
import { linkToken } from "../auth/link-tokens.ts";
import { type JobHandler, PermanentJobError } from "../jobs/worker.ts";
import type { OutgoingMail } from "../mail/mail.ts";
import { deliverMail, type MailDeps } from "../mail/send.ts";
import { findMailTarget, type MailTarget } from "./repository.ts";

export type LinkMailDeps = MailDeps & { config: MailDeps["config"] & { jwtSecret?: string } };

export function invitationMail(target: MailTarget, url: string): OutgoingMail {
  const inviter = target.invitedByName ?? "Someone";
  const expires = target.expiresAt.toISOString().replace("T", " ").slice(0, 16);
  return {
    kind: "invitation",
    to: target.email,
    subject: `${inviter} invited you to ${target.projectName} on TaskPlatform`,
    text: [
      "Hello,",
      `${inviter} invited you to work on "${target.projectName}" in TaskPlatform, a task board for teams.`,
      `Create your account with the link below to join the project. It works once, until ${expires} UTC.`,
      "If you did not expect this invitation, ignore this mail: nothing happens without the link.",
    ].join("\n\n"),
    action: { label: "Accept the invitation", url },
    fromName: `${inviter} via TaskPlatform`,
    preferencesPath: "/signin",
  };
}

export function invitationMailHandler(deps: LinkMailDeps): JobHandler {
  return async (job) => {
    const { invitationId, nonce } = job.payload as { invitationId?: unknown; nonce?: unknown };
    if (typeof invitationId !== "string" || typeof nonce !== "string") return;
    const secret = deps.config.jwtSecret;
    if (!secret) throw new PermanentJobError("no server key (JWT_SECRET) to make the link with");
    // Revoked, accepted, expired or re-sent (another nonce) since: nothing to send.
    const target = await findMailTarget(deps.sql, invitationId, nonce);
    if (!target) return;
    const token = linkToken(secret, "invitation", invitationId, nonce);
    await deliverMail(deps, job.key, invitationMail(target, `${deps.config.publicUrl}/invitation#${token}`));
  };
}
