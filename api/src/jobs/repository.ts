// Jobs: SQL only. Every function takes the queryable first: enqueueJob runs in the caller's
// transaction, so a job exists exactly when the change that caused it committed. All times are
// PostgreSQL's clock (now()), never a replica's, so a replica whose clock jumps neither runs jobs early
// nor steals a lease.
import type { Queryable } from "../db/client.ts";

/** Mail keys, reminder keys: what makes a job unique. Enqueueing an existing key adds nothing. */
export interface NewJob {
  /** The handler's name in jobs/registry.ts, e.g. "mail.send". */
  kind: string;
  /** Idempotency key, ≤ 500 characters, e.g. `reminder:due24h:<taskId>:<dueAtMs>`. */
  key: string;
  payload?: Record<string, unknown>;
  /** Not before this time (default: now). */
  runAt?: Date;
  /** Attempts before the job is given up (default 8). */
  maxAttempts?: number;
}

export interface Job {
  id: string;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  /** This attempt's number, from 1. */
  attempts: number;
  maxAttempts: number;
  runAt: Date;
}

/** Adds the job unless one with the same key exists (done or not). True when it was added. */
export async function enqueueJob(tx: Queryable, job: NewJob): Promise<boolean> {
  const rows = await tx`
    INSERT INTO jobs (kind, key, payload, run_at, max_attempts)
    VALUES (${job.kind}, ${job.key}, ${tx.json((job.payload ?? {}) as never)},
            coalesce(${job.runAt ?? null}::timestamptz, now()), ${job.maxAttempts ?? 8})
    ON CONFLICT (key) DO NOTHING
    RETURNING id`;
  return rows.length === 1;
}

/**
 * Claims the next due job for `worker` with a lease of `leaseSeconds`: SKIP LOCKED lets replicas claim
 * side by side, and a job whose lease passed (its replica died) is due again. `skip`: ids not to claim
 * again (a drain runs each job at most once).
 */
export async function claimJob(
  sql: Queryable,
  worker: string,
  leaseSeconds: number,
  skip: readonly string[] = [],
): Promise<Job | undefined> {
  const [job] = await sql<Job[]>`
    UPDATE jobs SET attempts = attempts + 1, locked_by = ${worker},
      locked_until = now() + make_interval(secs => ${leaseSeconds})
    WHERE id = (
      SELECT id FROM jobs
      WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()
        AND (locked_until IS NULL OR locked_until < now())
        ${skip.length > 0 ? sql`AND id <> ALL(${skip as string[]}::bigint[])` : sql``}
      ORDER BY run_at, id LIMIT 1
      FOR UPDATE SKIP LOCKED)
    RETURNING id::text, kind, key, payload, attempts, max_attempts, run_at`;
  return job;
}

export async function completeJob(sql: Queryable, id: string): Promise<void> {
  await sql`
    UPDATE jobs SET done_at = now(), locked_until = NULL, locked_by = NULL
    WHERE id = ${id} AND done_at IS NULL`;
}

/** Releases the job to run again after `delayMs`, or gives it up (`final`). */
export async function failJob(
  sql: Queryable,
  id: string,
  error: string,
  retry: { final: boolean; delayMs: number },
): Promise<void> {
  await sql`
    UPDATE jobs SET locked_until = NULL, locked_by = NULL, last_error = ${error.slice(0, 1000)},
      run_at = now() + make_interval(secs => ${retry.delayMs / 1000}),
      failed_at = CASE WHEN ${retry.final} THEN now() END
    WHERE id = ${id} AND done_at IS NULL`;
}

export interface JobStats {
  queued: number;
  running: number;
  failed: number;
  /** Seconds the oldest due, unclaimed job has waited (0 when none). */
  lagSeconds: number;
}

export async function jobStats(sql: Queryable): Promise<JobStats> {
  const [row] = await sql<JobStats[]>`
    SELECT
      count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()
        AND (locked_until IS NULL OR locked_until < now()))::int AS queued,
      count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL AND locked_until >= now())::int AS running,
      count(*) FILTER (WHERE failed_at IS NOT NULL)::int AS failed,
      coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE done_at IS NULL AND failed_at IS NULL
        AND run_at <= now() AND (locked_until IS NULL OR locked_until < now()))), 0)::float8 AS lag_seconds
    FROM jobs WHERE (done_at IS NULL AND failed_at IS NULL) OR failed_at IS NOT NULL`;
  return row ?? { queued: 0, running: 0, failed: 0, lagSeconds: 0 };
}

/** Removes finished jobs and sent mail records older than `days` (at most 1000 of each per call). */
export async function pruneFinished(sql: Queryable, days: number): Promise<number> {
  const jobs = await sql`
    DELETE FROM jobs WHERE id IN (
      SELECT id FROM jobs WHERE coalesce(done_at, failed_at) < now() - make_interval(days => ${days})
      LIMIT 1000)`;
  const mail = await sql`
    DELETE FROM mail_outbox WHERE key IN (
      SELECT key FROM mail_outbox WHERE status = 'sent' AND sent_at < now() - make_interval(days => ${days})
      LIMIT 1000)`;
  return jobs.count + mail.count;
}
