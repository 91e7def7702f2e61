// The two notification mail jobs and the digest schedule. Each job decides at run time (the recipient
// may have changed their preferences, read the notification, or left the project since it was queued)
// and sends once per job key with deliverMail (docs/architecture.md, "Mail and background jobs").
import { type JobHandler, PermanentJobError, type Schedule } from "../jobs/worker.ts";
import { deliverMail, type MailDeps } from "../mail/send.ts";
import { notificationsById } from "../notifications/repository.ts";
import { digestMail, notificationMail } from "./render.ts";
import {
  claimDigest,
  digestIds,
  digestRecipient,
  enqueueDigests,
  pruneDigests,
  recipientOf,
} from "./repository.ts";

export type NotificationMailDeps = MailDeps & {
  config: MailDeps["config"] & { digestHourUtc: number; jobs: { retentionDays: number } };
};

/** A notification whose kind the recipient wants immediately: its own mail. */
export function notificationMailHandler(deps: MailDeps): JobHandler {
  return async (job) => {
    const { notificationId } = job.payload as { notificationId?: unknown };
    if (typeof notificationId !== "string") throw new PermanentJobError("malformed notification mail job");
    // Gone (the task or project deleted, the recipient left the project) or no longer wanted by mail now.
    const [notification] = await notificationsById(deps.sql, [notificationId]);
    const recipient = await recipientOf(deps.sql, notificationId);
    if (!notification || recipient?.delivery !== "immediately") return;
    await deliverMail(deps, job.key, notificationMail(notification, recipient, deps.config.publicUrl));
  };
}

/** The daily digest of one user (payload {userId, day}): nothing when nothing is unread. */
export function digestHandler(deps: MailDeps): JobHandler {
  return async (job) => {
    const { userId, day } = job.payload as { userId?: unknown; day?: unknown };
    if (typeof userId !== "string" || typeof day !== "string")
      throw new PermanentJobError("malformed digest job");
    const user = await digestRecipient(deps.sql, userId);
    if (!user?.mailEnabled) return;
    const range = await deps.sql.begin((tx) => claimDigest(tx, userId, day));
    if (!range) return;
    const { ids, total } = await digestIds(deps.sql, userId, range);
    // Read (or turned to another delivery) since the digest was claimed: nothing left to tell.
    if (ids.length === 0) return;
    const items = await notificationsById(deps.sql, ids);
    await deliverMail(deps, job.key, digestMail(items, total, user, deps.config.publicUrl));
  };
}

/** Every replica, every interval: queues today's digests once the UTC hour is DIGEST_HOUR_UTC. */
export function digestScan(deps: NotificationMailDeps): Schedule {
  return {
    name: "digests",
    async run() {
      const added = await enqueueDigests(deps.sql, deps.config.digestHourUtc);
      if (added > 0) deps.log.debug("digests queued", { added });
      await pruneDigests(deps.sql, deps.config.jobs.retentionDays);
      return added;
    },
  };
}
