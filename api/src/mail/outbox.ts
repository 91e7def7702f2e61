// mail_outbox: one row per mail key, the record that makes a send happen once (mail/send.ts). SQL only.
import type { Queryable } from "../db/client.ts";

export type OutboxClaim =
  | { claimed: true; attempt: number }
  | { claimed: false; status: "sent" | "sending" | "failed"; holdLeftMs: number };

/**
 * Marks the mail 'sending' until `holdMs` from now, unless it was sent, or another attempt is still
 * within its own hold. A 'sending' row whose hold passed (its replica died or timed out mid-send) is
 * claimed again: the server may or may not have accepted that attempt (docs/architecture.md).
 */
export async function claimOutbox(
  sql: Queryable,
  row: { key: string; kind: string; messageId: string; holdMs: number },
): Promise<OutboxClaim> {
  const [claimed] = await sql<{ attempts: number }[]>`
    INSERT INTO mail_outbox (key, kind, message_id, status, sending_until, attempts)
    VALUES (${row.key}, ${row.kind}, ${row.messageId}, 'sending',
            now() + make_interval(secs => ${row.holdMs / 1000}), 1)
    ON CONFLICT (key) DO UPDATE SET status = 'sending', sending_until = EXCLUDED.sending_until,
      attempts = mail_outbox.attempts + 1
    WHERE mail_outbox.status = 'failed'
       OR (mail_outbox.status = 'sending' AND mail_outbox.sending_until < now())
    RETURNING attempts`;
  if (claimed) return { claimed: true, attempt: claimed.attempts };
  const [current] = await sql<{ status: "sent" | "sending" | "failed"; holdLeftMs: number }[]>`
    SELECT status,
      greatest(0, extract(epoch FROM coalesce(sending_until, now()) - now()) * 1000)::float8 AS hold_left_ms
    FROM mail_outbox WHERE key = ${row.key}`;
  return {
    claimed: false,
    status: current?.status ?? "sending",
    holdLeftMs: current?.holdLeftMs ?? row.holdMs,
  };
}

/** The server accepted the message. */
export async function markSent(sql: Queryable, key: string): Promise<void> {
  await sql`UPDATE mail_outbox SET status = 'sent', sent_at = now(), sending_until = NULL WHERE key = ${key}`;
}

/** The attempt failed before the server accepted it: the next attempt may send at once. */
export async function markFailed(sql: Queryable, key: string, attempt: number): Promise<void> {
  await sql`
    UPDATE mail_outbox SET status = 'failed', sending_until = NULL
    WHERE key = ${key} AND status = 'sending' AND attempts = ${attempt}`;
}
