// Outgoing mail: what a feature hands to enqueueMail/deliverMail (mail/send.ts), what a Mailer sends.
// Two mailers, same interface, chosen once in runtime.ts: smtp.ts (SMTP_URL) and file.ts (no SMTP_URL:
// each message becomes an .eml file under DATA_DIR/mail, its link printed in development).

/**
 * The kinds of mail the features send. Their metric series exist from the start (at 0), so dashboards
 * and the delivery alert see them before the first mail of a kind: add a new kind here.
 */
export const MAIL_KINDS = [
  "invitation",
  "password-reset",
  "reminder.due24h",
  "reminder.overdue",
  "notification.assigned",
  "notification.mentioned",
  "notification.commented",
  "notification.added_to_project",
  "digest",
];

/** A mail as a feature describes it. Plain text, English; render.ts adds HTML and the footer. */
export interface OutgoingMail {
  /** What the mail is, for metrics and logs: one of MAIL_KINDS. */
  kind: string;
  /** The recipient's address (≤ 254 characters; Unicode is sent as SMTPUTF8 when the server allows it). */
  to: string;
  /** The recipient's display name (user input: CR/LF and other controls are replaced). */
  toName?: string;
  /** One line (user input in it is cleaned like toName), at most 200 characters after cleaning. */
  subject: string;
  /** The body's paragraphs, separated by blank lines. No HTML: render.ts escapes it. */
  text: string;
  /** The one link the mail is about (shown as a button in HTML, printed by the dev file mailer). */
  action?: { label: string; url: string };
  /** Display name in From, e.g. "Alice via TaskPlatform" (cleaned); the address is always MAIL_FROM's. */
  fromName?: string;
  /** Path under PUBLIC_URL where this kind of mail is turned off; default /settings#notifications. */
  preferencesPath?: string;
}

export interface Address {
  name: string;
  address: string;
}

/** A mail ready for a transport: headers cleaned, both bodies built, a Message-ID derived from its key. */
export interface RenderedMail {
  kind: string;
  from: Address;
  to: Address;
  subject: string;
  text: string;
  html: string;
  /** `<hash-of-idempotency-key@from-domain>`: every attempt of one mail carries the same one. */
  messageId: string;
  headers: Record<string, string>;
  /** The action's URL, if any (printed by the file mailer in development). */
  link?: string;
}

/** What nodemailer is handed to build the message, whichever transport carries it. */
export function messageOf(mail: RenderedMail) {
  const { from, to, subject, text, html, messageId, headers } = mail;
  return { from, to, subject, text, html, messageId, headers };
}

export interface Mailer {
  /** One line for the start-up log (never a password). */
  description: string;
  /** Resolves once the server accepted the message; MailRejectedError when it refused it for good. */
  send(mail: RenderedMail): Promise<void>;
  close(): void;
}

/** The server refused the message permanently (5xx), or it cannot be sent at all: never retried. */
export class MailRejectedError extends Error {}
