// Invitation use cases. An owner invites an address: an account with it is added to the project at once;
// anyone else gets a mail with a single-use link (auth/link-tokens.ts) that lands on sign-up and joins
// the project when the account is created. The answer is the same either way.

import { linkToken, newNonce, tokenHash } from "../auth/link-tokens.ts";
import { findUserByEmail } from "../auth/users.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { enqueueJob } from "../jobs/repository.ts";
import { announce, notify } from "../notifications/service.ts";
import { type Role, requireRole } from "../projects/access.ts";
import * as projects from "../projects/repository.ts";
import { StoreUnavailableError } from "../store/store.ts";
import * as invitations from "./repository.ts";
import type { InviteResult } from "./schemas.ts";

export const INVITATION_MAIL_JOB = "invitation.mail";
/** How long an invitation link works; re-sending makes a new link for as long again. */
export const INVITATION_TTL_SECONDS = 7 * 86_400;
/**
 * Invitations (and re-sends) per hour, per owner and per client address. The answer never says whether
 * an address has an account, but the member list and the pending invitations do, to the owner: this
 * keeps that from becoming a way to check a list of addresses (sign-up tells as much, 30 a minute).
 */
export const INVITATIONS_PER_HOUR = 50;
const INVITATION_WINDOW_SECONDS = 3600;

export function createInvitationService(deps: Deps, publish: Publish) {
  const { sql, store, metrics, config } = deps;
  const secret = config.jwtSecret;
  const hashFor = (id: string, nonce: string) => tokenHash(linkToken(secret, "invitation", id, nonce));

  /** Takes one invitation from the owner's and the address's hourly budgets; 429 when either is spent. */
  const takeBudget = async (actorId: string, clientIp: string) => {
    const keys = [`invitations:user:${actorId}`, `invitations:ip:${clientIp}`];
    let result: Awaited<ReturnType<typeof store.take>>;
    try {
      result = await store.take(
        keys,
        [INVITATIONS_PER_HOUR, INVITATIONS_PER_HOUR],
        INVITATION_WINDOW_SECONDS,
      );
    } catch (error) {
      // Like the request rate limits: skipped while the store is down rather than refusing.
      if (error instanceof StoreUnavailableError) return;
      throw error;
    }
    if (result.taken) return;
    metrics.rateLimited.inc({ scope: "invitations" });
    const full = result.windows.filter((window) => window.count >= INVITATIONS_PER_HOUR);
    const retryAfter = Math.max(1, ...full.map((window) => window.resetSeconds));
    throw new ApiError(
      429,
      "too_many_invitations",
      `Too many invitations in the last hour. Try again in ${Math.ceil(retryAfter / 60)} minutes.`,
      undefined,
      { "Retry-After": String(retryAfter) },
    );
  };

  /** Queues the mail with this nonce's link (sent after the commit by the job worker). */
  const queueMail = (tx: Queryable, invitationId: string, nonce: string) =>
    enqueueJob(tx, {
      kind: INVITATION_MAIL_JOB,
      key: `invitation:${invitationId}:${nonce}`,
      payload: { invitationId, nonce },
    });

  return {
    /** Invites `email` to the project (owner). Same answer whether or not the address has an account. */
    async invite(
      actorId: string,
      clientIp: string,
      projectId: string,
      email: string,
      role: Role,
    ): Promise<InviteResult> {
      await requireRole(sql, projectId, actorId, "owner");
      await takeBudget(actorId, clientIp);
      const added = await timed(metrics, "invitations.invite", () =>
        sql.begin(async (tx) => {
          await projects.lockProjectForMemberChange(tx, projectId);
          const user = await findUserByEmail(tx, email);
          if (user) {
            // An existing account joins at once and hears of it in its inbox (same transaction).
            if (!(await projects.addMember(tx, projectId, user.id, role)))
              throw new ApiError(409, "already_member", "this person is already a member");
            const notified = await notify(tx, {
              kind: "added_to_project",
              recipients: [user.id],
              projectId,
              actorId,
              data: { role },
            });
            return { member: { userId: user.id, email: user.email, name: user.name, role }, notified };
          }
          const nonce = newNonce();
          const id = await invitations.upsertPending(tx, {
            id: crypto.randomUUID(),
            projectId,
            email,
            role,
            invitedBy: actorId,
            nonce,
            hashOf: (invitationId) => hashFor(invitationId, nonce),
            ttlSeconds: INVITATION_TTL_SECONDS,
          });
          await queueMail(tx, id, nonce);
          return undefined;
        }),
      );
      if (added) {
        await publish({ type: "member.added", projectId, actorId, member: added.member });
        await announce(sql, publish, added.notified);
      }
      return { email, role };
    },

    async list(actorId: string, projectId: string) {
      await requireRole(sql, projectId, actorId, "owner");
      return timed(metrics, "invitations.list", () => invitations.listPending(sql, projectId));
    },

    async revoke(actorId: string, projectId: string, invitationId: string) {
      await requireRole(sql, projectId, actorId, "owner");
      if (!(await invitations.revoke(sql, projectId, invitationId))) throw notFound("invitation");
    },

    /** A new link (the old one stops working) valid for the full time again, mailed once more. */
    async resend(actorId: string, clientIp: string, projectId: string, invitationId: string) {
      await requireRole(sql, projectId, actorId, "owner");
      if (!(await invitations.findPending(sql, projectId, invitationId))) throw notFound("invitation");
      await takeBudget(actorId, clientIp);
      await sql.begin(async (tx) => {
        const nonce = newNonce();
        const renewed = await invitations.renew(
          tx,
          projectId,
          invitationId,
          nonce,
          hashFor(invitationId, nonce),
          INVITATION_TTL_SECONDS,
        );
        if (!renewed) throw notFound("invitation");
        await queueMail(tx, invitationId, nonce);
      });
      const invitation = await invitations.findPending(sql, projectId, invitationId);
      if (!invitation) throw notFound("invitation");
      return invitation;
    },

    /** What the sign-up page shows for a link; 404 for a link that is forged, used, revoked or expired. */
    async preview(token: string) {
      const found = await invitations.findByTokenHash(sql, tokenHash(token));
      if (!found) throw invalidInvitation();
      return { email: found.email, projectName: found.projectName, invitedByName: found.invitedByName };
    },
  };
}

export const invalidInvitation = () =>
  new ApiError(
    404,
    "invitation_not_found",
    "This invitation link is not valid any more: it was used, withdrawn or has expired. Ask for a new one.",
  );

/**
 * Sign-up with an invitation link, in the sign-up's transaction: the new account joins the project.
 * The account's address must be the invited one (the link proves that mailbox; another address does not).
 */
export async function acceptOnSignUp(
  tx: Queryable,
  token: string,
  user: { id: string; email: string; name: string },
) {
  const hash = tokenHash(token);
  const found = await invitations.findByTokenHash(tx, hash);
  if (!found) throw invalidInvitation();
  if (found.email !== user.email)
    throw new ApiError(422, "validation_failed", "Use the address the invitation was sent to.", [
      { path: "email", message: "must be the address the invitation was sent to", code: "custom" },
    ]);
  const accepted = await invitations.markAccepted(tx, hash, user.id);
  if (!accepted) throw invalidInvitation();
  await projects.addMember(tx, accepted.projectId, user.id, accepted.role);
  return {
    projectId: accepted.projectId,
    member: { userId: user.id, email: user.email, name: user.name, role: accepted.role },
  };
}
