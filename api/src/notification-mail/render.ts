// What a notification says in a mail: one sentence (the subject of its own mail, a line of a digest)
// and the link to it. Plain text: mail/render.ts cleans header values and escapes the HTML part.
import type { OutgoingMail } from "../mail/mail.ts";
import type { Notification as Full } from "../notifications/schemas.ts";

/** What a mail says of a notification. */
type Notification = Pick<
  Full,
  "kind" | "projectId" | "projectName" | "taskId" | "taskTitle" | "actorName" | "data"
>;

/** Where the account page's mail settings are: every notification mail links there. */
export const PREFERENCES_PATH = "/settings#notifications";

const utc = (iso: unknown) =>
  typeof iso === "string" ? `${iso.replace("T", " ").slice(0, 16)} UTC` : "its due date";

export function sentenceOf(n: Notification): string {
  const who = n.actorName ?? "Someone";
  const task = `"${n.taskTitle ?? "a task"}"`;
  const where = `in ${n.projectName}`;
  switch (n.kind) {
    case "assigned":
      return `${who} assigned ${task} ${where} to you`;
    case "mentioned":
      return `${who} mentioned you on ${task} ${where}`;
    case "commented":
      return `${who} commented on ${task} ${where}`;
    case "due_soon":
      return `${task} ${where} is due on ${utc(n.data.dueAt)}`;
    case "overdue":
      return `${task} ${where} was due on ${utc(n.data.dueAt)} and is not done yet`;
    case "added_to_project":
      return `${who} added you to ${n.projectName}${typeof n.data.role === "string" ? ` as ${n.data.role}` : ""}`;
  }
}

export function linkOf(n: Notification, publicUrl: string): string {
  const project = `${publicUrl}/projects/${n.projectId}`;
  return n.taskId ? `${project}?task=${n.taskId}` : project;
}

const excerptOf = (n: Notification) =>
  typeof n.data.excerpt === "string" && n.data.excerpt ? `\n\n> ${n.data.excerpt}` : "";

/** The mail of one notification (kinds set to "immediately"). */
export function notificationMail(
  n: Notification,
  to: { email: string; name: string },
  publicUrl: string,
): OutgoingMail {
  const sentence = sentenceOf(n);
  return {
    kind: `notification.${n.kind}`,
    to: to.email,
    toName: to.name,
    subject: sentence,
    text: `Hello ${to.name},\n\n${sentence}.${excerptOf(n)}`,
    action: { label: n.taskId ? "Open the task" : "Open the project", url: linkOf(n, publicUrl) },
    ...(n.actorName ? { fromName: `${n.actorName} via TaskPlatform` } : {}),
    preferencesPath: PREFERENCES_PATH,
  };
}

/** The daily digest: one line and link per notification, oldest first. */
export function digestMail(
  items: Notification[],
  total: number,
  to: { email: string; name: string },
  publicUrl: string,
): OutgoingMail {
  const lines = items.map((n) => `- ${sentenceOf(n)}\n  ${linkOf(n, publicUrl)}`);
  const more = total > items.length ? [`…and ${total - items.length} more in your inbox.`] : [];
  return {
    kind: "digest",
    to: to.email,
    toName: to.name,
    subject: `TaskPlatform: ${total} unread notification${total === 1 ? "" : "s"}`,
    text: [`Hello ${to.name},`, `Since your last digest (unread ones only):`, lines.join("\n"), ...more].join(
      "\n\n",
    ),
    action: { label: "Open your inbox", url: `${publicUrl}/notifications` },
    preferencesPath: PREFERENCES_PATH,
  };
}
