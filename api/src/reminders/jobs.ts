// Due-date reminders: the scan every replica's scheduler runs (idempotent: unique job keys), and the
// job that decides at run time whether the reminder is still wanted and then mails it, once per key.
import type { Publish } from "../events/publisher.ts";
import type { JobHandler, Schedule } from "../jobs/worker.ts";
import type { OutgoingMail } from "../mail/mail.ts";
import { deliverMail, type MailDeps } from "../mail/send.ts";
import { announce, notify } from "../notifications/service.ts";
import {
  enqueueDueReminders,
  findReminderTarget,
  type ReminderTarget,
  type ReminderType,
} from "./repository.ts";

export function reminderScan(deps: Pick<MailDeps, "sql" | "log">): Schedule {
  return {
    name: "reminders",
    async run() {
      const added = await enqueueDueReminders(deps.sql);
      if (added > 0) deps.log.debug("reminders queued", { added });
      return added;
    },
  };
}

export function reminderMail(type: ReminderType, target: ReminderTarget, publicUrl: string): OutgoingMail {
  const due = target.dueAt.toISOString().replace("T", " ").slice(0, 16);
  const title = target.title;
  return {
    kind: `reminder.${type}`,
    to: target.email,
    toName: target.name,
    subject: type === "due24h" ? `Due within 24 hours: ${title}` : `Overdue: ${title}`,
    text: [
      `Hello ${target.name},`,
      type === "due24h"
        ? `"${title}" in ${target.projectName} is due on ${due} UTC.`
        : `"${title}" in ${target.projectName} was due on ${due} UTC and is not done yet.`,
    ].join("\n\n"),
    action: { label: "Open the board", url: `${publicUrl}/projects/${target.projectId}` },
  };
}

export function reminderJobHandler(deps: MailDeps & { publish: Publish }): JobHandler {
  return async (job) => {
    const payload = job.payload as { type?: ReminderType; taskId?: string; dueAtMs?: number };
    if (
      (payload.type !== "due24h" && payload.type !== "overdue") ||
      typeof payload.taskId !== "string" ||
      typeof payload.dueAtMs !== "number"
    )
      return; // not ours to retry: nothing to send
    const reminder = { type: payload.type, taskId: payload.taskId, dueAtMs: payload.dueAtMs };
    const target = await findReminderTarget(deps.sql, reminder);
    // Completed, archived, rescheduled, unassigned, or the reminder turned off since: nothing to send.
    if (!target) return;
    // The inbox first (once per job key, however often the job runs), then the mail (once per key).
    const created = await deps.sql.begin((tx) =>
      notify(tx, {
        kind: reminder.type === "due24h" ? "due_soon" : "overdue",
        recipients: [target.userId],
        projectId: target.projectId,
        taskId: target.taskId,
        actorId: null,
        data: { dueAt: target.dueAt.toISOString() },
        dedupeKey: job.key,
        mailedByCaller: true,
      }),
    );
    await announce(deps.sql, deps.publish, created);
    // A reminder the user wants in the daily digest (or not by mail) is in their inbox now.
    if (target.mailDelivery !== "immediately") return;
    await deliverMail(deps, job.key, reminderMail(reminder.type, target, deps.config.publicUrl));
  };
}
