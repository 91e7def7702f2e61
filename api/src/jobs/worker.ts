// The worker loop every API replica runs (started by main.ts after it listens, stopped first on
// shutdown): `concurrency` slots claim due jobs (jobs/repository.ts: FOR UPDATE SKIP LOCKED with a
// lease), run their handler, then complete them or schedule a retry with backoff. Every
// `schedulerIntervalMs` it runs the schedules (reminder scan, pruning): each is idempotent by
// construction (unique job keys), so any number of replicas may run them at the same moment.
import type { Sql } from "../db/client.ts";
import { errorFields, type Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { retryDelayMs } from "./backoff.ts";
import { claimJob, completeJob, failJob, type Job, jobStats } from "./repository.ts";

/** Thrown by a handler: do not retry (an address the server refuses, a malformed payload). */
export class PermanentJobError extends Error {}

/** Thrown by a handler: try again after `delayMs`, without counting it as a failure in the log. */
export class RetryJobLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/**
 * Runs one job. It may run more than once for the same job (a replica died after the work but before
 * the job was marked done), so its effects must be idempotent: key them by `job.key`.
 */
export type JobHandler = (job: Job) => Promise<void>;

/** A periodic step, run by every replica: must be safe to run concurrently and repeatedly. */
export interface Schedule {
  name: string;
  run(): Promise<unknown>;
}

export interface JobRunnerOptions {
  sql: Sql;
  log: Logger;
  metrics: Metrics;
  handlers: Record<string, JobHandler>;
  schedules: Schedule[];
  /** Recorded in jobs.locked_by: which replica holds a job. */
  workerId: string;
  concurrency: number;
  pollMs: number;
  leaseSeconds: number;
  schedulerIntervalMs: number;
  retryBaseMs: number;
}

export interface JobRunner {
  /** Starts the claim slots and the scheduler. */
  start(): void;
  /** Stops claiming, waits up to `timeoutMs` for running jobs (their lease covers the rest). */
  stop(timeoutMs?: number): Promise<void>;
  /** Runs the due jobs on this caller, each at most once, until none is due; returns how many ran (tests, tools). */
  drain(): Promise<number>;
  /** Runs every schedule once, then refreshes the job gauges. */
  tick(): Promise<void>;
  /** Claims now instead of at the next poll (call after enqueueing work that should go out at once). */
  wake(): void;
}

const STATS_INTERVAL_MS = 15_000;

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { sql, log, metrics, handlers, workerId } = options;
  // Every kind's series from the start (at 0): the dashboard's attempts panel is never "no data".
  for (const kind of Object.keys(handlers))
    for (const result of ["done", "retried", "deferred", "failed"])
      metrics.jobsProcessed.inc({ kind, result }, 0);
  let running = false;
  const inFlight = new Set<Promise<unknown>>();
  let wakeSleepers: Array<() => void> = [];

  /** Resolves after `ms`, or earlier on wake() and stop(). */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleepers = wakeSleepers.filter((sleeper) => sleeper !== done);
        resolve();
      }
      wakeSleepers.push(done);
    });
  const wake = () => {
    for (const sleeper of [...wakeSleepers]) sleeper();
  };

  async function runJob(job: Job): Promise<void> {
    const handler = handlers[job.kind];
    const fields = { jobId: job.id, kind: job.kind, attempt: job.attempts };
    const started = performance.now();
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind "${job.kind}"`);
      // A job claimed again after its lease ran out more often than allowed (its replica kept dying).
      if (job.attempts > job.maxAttempts) throw new PermanentJobError("too many attempts");
      await handler(job);
      await completeJob(sql, job.id);
      metrics.jobsProcessed.inc({ kind: job.kind, result: "done" });
      log.debug("job done", { ...fields, durationMs: Math.round(performance.now() - started) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof RetryJobLater) {
        await failJob(sql, job.id, message, { final: false, delayMs: error.delayMs });
        metrics.jobsProcessed.inc({ kind: job.kind, result: "deferred" });
        log.debug("job deferred", { ...fields, reason: message });
        return;
      }
      const final = error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      const delayMs = retryDelayMs(job.attempts, options.retryBaseMs);
      await failJob(sql, job.id, message, { final, delayMs });
      metrics.jobsProcessed.inc({ kind: job.kind, result: final ? "failed" : "retried" });
      const what = final ? "job failed; giving up" : "job failed; will retry";
      // errorFields carries the message and stack only: handlers never put bodies or tokens in errors.
      log[final ? "error" : "warn"](what, {
        ...fields,
        retryInMs: final ? undefined : delayMs,
        ...errorFields(error),
      });
    }
  }

  /** Claims and runs jobs until none is due (or `more()` says stop); `claimed` is called after the first claim. */
  async function drain(more: () => boolean, claimed?: () => void): Promise<number> {
    let count = 0;
    while (more()) {
      const job = await claimJob(sql, workerId, options.leaseSeconds);
      claimed?.();
      if (!job) return count;
      count += 1;
      await runJob(job);
    }
    return count;
  }

  /** drain() for tests and tools: each job at most once, so a retry it causes waits for the next call
   * (with a short backoff it would otherwise run again at once, and a job failing for ever never ends it). */
  async function drainDue(): Promise<number> {
    const ran: string[] = [];
    for (;;) {
      const job = await claimJob(sql, workerId, options.leaseSeconds, ran);
      if (!job) return ran.length;
      ran.push(job.id);
      await runJob(job);
    }
  }

  async function refreshStats(): Promise<void> {
    const stats = await jobStats(sql);
    metrics.jobs.set({ state: "queued" }, stats.queued);
    metrics.jobs.set({ state: "running" }, stats.running);
    metrics.jobs.set({ state: "failed" }, stats.failed);
    metrics.jobsLag.set(stats.lagSeconds);
  }

  async function tick(): Promise<void> {
    for (const schedule of options.schedules) {
      try {
        await schedule.run();
      } catch (error) {
        log.warn("schedule failed", { schedule: schedule.name, ...errorFields(error) });
      }
    }
    metrics.schedulerLastRun.set(Date.now() / 1000);
    await refreshStats().catch(() => {});
  }

  /**
   * Runs `step` until stop(), waiting `intervalMs` between rounds (and after errors: the database is
   * down); the first round starts once `after` resolves. Resolves once the first round has gone past
   * its first query (`step` calls `settled`) or ended.
   */
  const loop = (
    name: string,
    intervalMs: number,
    step: (settled: () => void) => Promise<unknown>,
    after: Promise<void>,
  ): Promise<void> => {
    const { promise: firstQueried, resolve: settled } = Promise.withResolvers<void>();
    const done = (async () => {
      await after;
      while (running) {
        try {
          await step(settled);
        } catch (error) {
          log.warn("job loop error", { loop: name, ...errorFields(error) });
        }
        settled();
        if (running) await pause(intervalMs);
      }
      settled();
    })();
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
    return firstQueried;
  };

  return {
    start() {
      if (running) return;
      running = true;
      // The loops' first queries one after another: started together, each took a pool connection of
      // its own (4 more connections, ~1.2 MB, on an idle replica). A slot with work to do lets the
      // next one start after its first claim, so a backlog still runs `concurrency` jobs at once.
      let previous = Promise.resolve();
      for (let slot = 0; slot < options.concurrency; slot += 1)
        previous = loop(`slot ${slot}`, options.pollMs, (claimed) => drain(() => running, claimed), previous);
      previous = loop("scheduler", options.schedulerIntervalMs, tick, previous);
      // The scheduler's first tick has just refreshed the gauges: the stats loop's first round waits
      // its interval instead of running the same query again at once (not after stop(): its wake()
      // has already gone by).
      const firstStats = previous.then(() => (running ? pause(STATS_INTERVAL_MS) : undefined));
      loop("stats", STATS_INTERVAL_MS, refreshStats, firstStats);
    },
    async stop(timeoutMs = 5000) {
      running = false;
      wake();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
    drain: drainDue,
    tick,
    wake,
  };
}
