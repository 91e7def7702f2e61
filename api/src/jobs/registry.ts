// Every job kind and every schedule the worker runs, by name: the one list a feature adds its
// background work to (like ../openapi.ts for routes).

import { REMOVE_BLOB_JOB, removeBlobHandler } from "../attachments/jobs.ts";
import type { BlobStore } from "../attachments/storage.ts";
import { PASSWORD_RESET_JOB, passwordResetHandler } from "../auth/password-reset.ts";
import type { Publish } from "../events/publisher.ts";
import { invitationMailHandler } from "../invitations/mail.ts";
import { INVITATION_MAIL_JOB } from "../invitations/service.ts";
import { MAIL_JOB, type MailDeps, mailJobHandler } from "../mail/send.ts";
import { digestHandler, digestScan, notificationMailHandler } from "../notification-mail/jobs.ts";
import { DIGEST_JOB, NOTIFICATION_MAIL_JOB } from "../notification-mail/repository.ts";
import { reminderJobHandler, reminderScan } from "../reminders/jobs.ts";
import { REMINDER_JOB } from "../reminders/repository.ts";
import { pruneFinished } from "./repository.ts";
import type { JobHandler, Schedule } from "./worker.ts";

export type BackgroundDeps = MailDeps & {
  /** Events from background work (a reminder's notification reaches its recipient's open tabs). */
  publish: Publish;
  /** Attachment bytes, removed by a job when their rows are deleted. */
  blobs: BlobStore;
  /** jwtSecret: the key links in mails are derived with (auth/link-tokens.ts). */
  config: MailDeps["config"] & { jobs: { retentionDays: number }; jwtSecret?: string; digestHourUtc: number };
};

export function jobHandlers(deps: BackgroundDeps): Record<string, JobHandler> {
  return {
    [MAIL_JOB]: mailJobHandler(deps),
    [REMINDER_JOB]: reminderJobHandler(deps),
    [INVITATION_MAIL_JOB]: invitationMailHandler(deps),
    [PASSWORD_RESET_JOB]: passwordResetHandler(deps),
    [REMOVE_BLOB_JOB]: removeBlobHandler(deps.blobs),
    [NOTIFICATION_MAIL_JOB]: notificationMailHandler(deps),
    [DIGEST_JOB]: digestHandler(deps),
  };
}

export function schedules(deps: BackgroundDeps): Schedule[] {
  return [
    reminderScan(deps),
    digestScan(deps),
    { name: "prune", run: () => pruneFinished(deps.sql, deps.config.jobs.retentionDays) },
  ];
}
