// Password reset. "Forgot password" always gets the same answer, after the same work: one slot from
// two hourly budgets (this client address, this address asked about) and one queued job. Whether an
// account uses the address is decided by that job, in the background, so neither the answer nor its
// timing can tell. The job creates the reset (valid 30 minutes, single use, its token derived as in
// link-tokens.ts and only its hash stored) and mails the link. Setting the new password uses the link
// up (with every other open link of the account) and ends every session of the account.
import type { Queryable } from "../db/client.ts";
import type { LinkMailDeps } from "../invitations/mail.ts";
import { enqueueJob } from "../jobs/repository.ts";
import { type JobHandler, PermanentJobError } from "../jobs/worker.ts";
import type { OutgoingMail } from "../mail/mail.ts";
import { deliverMail } from "../mail/send.ts";
import { linkToken, newNonce, tokenHash } from "./link-tokens.ts";
import { findUserByEmail } from "./users.ts";

export const PASSWORD_RESET_JOB = "password-reset.request";
export const RESET_TTL_SECONDS = 30 * 60;
/** Requests per hour from one client address, and about one e-mail address (known or not). */
export const RESETS_PER_ADDRESS = 10;
export const RESETS_PER_ACCOUNT = 3;
export const RESET_WINDOW_SECONDS = 3600;

/** The request: the same statement for every address (a job with a fresh key). */
export async function queueResetRequest(sql: Queryable, email: string): Promise<void> {
  const id = crypto.randomUUID();
  await enqueueJob(sql, {
    kind: PASSWORD_RESET_JOB,
    key: `password-reset:${id}`,
    payload: { resetId: id, email, requestedAt: Date.now() },
    maxAttempts: 5,
  });
}

// --- SQL (password_resets) ---

async function insertReset(
  tx: Queryable,
  row: { id: string; userId: string; nonce: string; hash: string; expiresAt: Date },
): Promise<void> {
  await tx`
    INSERT INTO password_resets (id, user_id, token_nonce, token_hash, expires_at)
    VALUES (${row.id}, ${row.userId}, ${row.nonce}, ${row.hash}, ${row.expiresAt})
    ON CONFLICT (id) DO NOTHING`;
}

async function findReset(sql: Queryable, id: string) {
  const [row] = await sql<{ nonce: string; expiresAt: Date; usedAt: Date | null }[]>`
    SELECT token_nonce AS nonce, expires_at, used_at FROM password_resets WHERE id = ${id}`;
  return row;
}

/** An unused, unexpired reset has this token (checked before the new password is hashed). */
export async function isResetOpen(sql: Queryable, token: string): Promise<boolean> {
  const rows = await sql`
    SELECT 1 FROM password_resets WHERE token_hash = ${tokenHash(token)} AND used_at IS NULL AND expires_at > now()`;
  return rows.length === 1;
}

/**
 * Uses the link up: the reset must be unused and unexpired. Every other open link of the account is
 * used up with it. Returns the account.
 */
export async function consumeReset(tx: Queryable, token: string): Promise<string | undefined> {
  const [row] = await tx<{ userId: string }[]>`
    UPDATE password_resets SET used_at = now()
    WHERE token_hash = ${tokenHash(token)} AND used_at IS NULL AND expires_at > now()
    RETURNING user_id`;
  if (!row) return undefined;
  await tx`UPDATE password_resets SET used_at = now() WHERE user_id = ${row.userId} AND used_at IS NULL`;
  return row.userId;
}

// --- the job ---

export function resetMail(to: string, name: string, url: string): OutgoingMail {
  return {
    kind: "password-reset",
    to,
    toName: name,
    subject: "Reset your TaskPlatform password",
    text: [
      `Hello ${name},`,
      "Someone (we hope you) asked to reset the password of your TaskPlatform account. Use the link below to choose a new one; it works once, within 30 minutes. Setting it signs you out everywhere else.",
      "If you did not ask for this, ignore this mail: your password stays as it is.",
    ].join("\n\n"),
    action: { label: "Choose a new password", url },
    preferencesPath: "/signin",
  };
}

export function passwordResetHandler(deps: LinkMailDeps): JobHandler {
  return async (job) => {
    const { resetId, email, requestedAt } = job.payload as {
      resetId?: unknown;
      email?: unknown;
      requestedAt?: unknown;
    };
    if (typeof resetId !== "string" || typeof email !== "string" || typeof requestedAt !== "number") return;
    const secret = deps.config.jwtSecret;
    if (!secret) throw new PermanentJobError("no server key (JWT_SECRET) to make the link with");
    const expiresAt = new Date(requestedAt + RESET_TTL_SECONDS * 1000);
    // Queued too long ago to be of use; and no account: nothing to send (and nothing said).
    if (expiresAt.getTime() <= Date.now()) return;
    const user = await findUserByEmail(deps.sql, email);
    if (!user) return;
    // A retry finds the reset it created (same id, same nonce), so the link it mails is the same.
    const nonce = newNonce();
    await insertReset(deps.sql, {
      id: resetId,
      userId: user.id,
      nonce,
      hash: tokenHash(linkToken(secret, "password-reset", resetId, nonce)),
      expiresAt,
    });
    const reset = await findReset(deps.sql, resetId);
    if (!reset || reset.usedAt) return;
    const token = linkToken(secret, "password-reset", resetId, reset.nonce);
    await deliverMail(
      deps,
      job.key,
      resetMail(user.email, user.name, `${deps.config.publicUrl}/reset-password#${token}`),
    );
  };
}
