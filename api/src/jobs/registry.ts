// Every job kind and every schedule the worker runs, by name: the one list a feature adds its
// background work to (like ../openapi.ts for routes).

import { MAIL_JOB, type MailDeps, mailJobHandler } from "../mail/send.ts";
import { reminderJobHandler, reminderScan } from "../reminders/jobs.ts";
import { REMINDER_JOB } from "../reminders/repository.ts";
import { pruneFinished } from "./repository.ts";
import type { JobHandler, Schedule } from "./worker.ts";

export type BackgroundDeps = MailDeps & { config: MailDeps["config"] & { jobs: { retentionDays: number } } };

export function jobHandlers(deps: BackgroundDeps): Record<string, JobHandler> {
  return {
    [MAIL_JOB]: mailJobHandler(deps),
    [REMINDER_JOB]: reminderJobHandler(deps),
  };
}

export function schedules(deps: BackgroundDeps): Schedule[] {
  return [
    reminderScan(deps),
    { name: "prune", run: () => pruneFinished(deps.sql, deps.config.jobs.retentionDays) },
  ];
}
