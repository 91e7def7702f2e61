// The mail module's API for features:
//   enqueueMail(tx, key, mail)  queue a mail in the caller's transaction (invitations, password reset)
//   deliverMail(deps, key, mail) send now, once per key (for job handlers that decide at run time, like
//                               reminders); retried by the job that calls it
// and the "mail.send" job handler that runs what enqueueMail queued.
//
// Once per key: the outbox row is committed as 'sending' before the SMTP transaction starts and as
// 'sent' right after the server accepted the message. An attempt that finds 'sent' sends nothing; one
// that finds another attempt's 'sending' still within its hold waits. The one window left: a replica
// that dies between the end of the message data and the commit of 'sent' (the server's acceptance,
// its "250", one UPDATE) leaves 'sending' for a message the server took; once the hold passes it is
// sent again, with the same Message-ID, so the receiving side can tell the copies apart.
// docs/architecture.md, "Mail and background jobs".
import type { Config } from "../config.ts";
import type { Queryable, Sql } from "../db/client.ts";
import { enqueueJob } from "../jobs/repository.ts";
import { type JobHandler, PermanentJobError, RetryJobLater } from "../jobs/worker.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { type Mailer, MailRejectedError, type OutgoingMail } from "./mail.ts";
import { claimOutbox, markFailed, markSent } from "./outbox.ts";
import { renderMail } from "./render.ts";

export const MAIL_JOB = "mail.send";

export interface MailDeps {
  sql: Sql;
  mailer: Mailer;
  config: Pick<Config, "mail" | "publicUrl">;
  metrics: Metrics;
  log: Logger;
}

/**
 * Queues `mail` in the caller's transaction: it is sent (once) after the commit, by whichever replica
 * claims it; nothing is sent if the transaction rolls back. `key` names the mail for good (e.g.
 * `invitation:<invitationId>`): queueing the same key again adds nothing. True when it was added.
 */
export async function enqueueMail(
  tx: Queryable,
  key: string,
  mail: OutgoingMail,
  options: { runAt?: Date; maxAttempts?: number } = {},
): Promise<boolean> {
  return enqueueJob(tx, {
    kind: MAIL_JOB,
    key: `mail:${key}`,
    payload: { mail: { ...mail } },
    ...options,
  });
}

/**
 * Sends `mail` unless the mail with this key was sent already. Throws RetryJobLater while another
 * attempt holds it, PermanentJobError when it can never be sent, any other error to retry.
 */
export async function deliverMail(
  deps: MailDeps,
  key: string,
  mail: OutgoingMail,
): Promise<"sent" | "already sent"> {
  const { sql, mailer, config, metrics, log } = deps;
  let rendered: ReturnType<typeof renderMail>;
  try {
    rendered = renderMail(mail, { from: config.mail.from, publicUrl: config.publicUrl, key });
  } catch (error) {
    metrics.mailFailed.inc({ kind: mail.kind, reason: "permanent" });
    throw new PermanentJobError((error as Error).message);
  }
  // Longer than the mailer can take, so a slow but live attempt is never overtaken.
  const holdMs = 2 * config.mail.timeoutMs + 5000;
  const claim = await claimOutbox(sql, { key, kind: mail.kind, messageId: rendered.messageId, holdMs });
  if (!claim.claimed) {
    if (claim.status === "sent") return "already sent";
    // Come back when that attempt's hold ends (it was sent by then, or its replica is gone).
    throw new RetryJobLater("another attempt is sending this mail", Math.ceil(claim.holdLeftMs) + 100);
  }
  const fields = { mailKind: mail.kind, messageId: rendered.messageId, attempt: claim.attempt };
  try {
    await mailer.send(rendered);
  } catch (error) {
    const permanent = error instanceof MailRejectedError;
    metrics.mailFailed.inc({ kind: mail.kind, reason: permanent ? "permanent" : "temporary" });
    await markFailed(sql, key, claim.attempt).catch(() => {});
    log.warn("mail not sent", { ...fields, reason: (error as Error).message });
    if (permanent) throw new PermanentJobError((error as Error).message);
    throw error;
  }
  // Accepted: record it at once (the duplicate window is exactly this statement). A database that
  // refuses it now gets a few quick tries before the job is left to retry.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await markSent(sql, key);
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
      await Bun.sleep(100 * attempt);
    }
  }
  metrics.mailSent.inc({ kind: mail.kind });
  log.info("mail sent", fields);
  return "sent";
}

/** Runs what enqueueMail queued. */
export function mailJobHandler(deps: MailDeps): JobHandler {
  return async (job) => {
    const mail = (job.payload as { mail?: OutgoingMail }).mail;
    if (!mail || typeof mail.to !== "string" || typeof mail.subject !== "string")
      throw new PermanentJobError("malformed mail job");
    await deliverMail(deps, job.key, mail);
  };
}
