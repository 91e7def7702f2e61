// Builds the message a Mailer sends from what a feature described: header values cleaned (no CR/LF can
// reach a header, whatever a user typed as their name or a task title), the plain-text and HTML bodies,
// the footer with the preferences link, List-Unsubscribe, and a Message-ID derived from the mail's key.
import { createHash } from "node:crypto";
import { type Address, MailRejectedError, type OutgoingMail, type RenderedMail } from "./mail.ts";

/** Longest subject kept; longer ones end with "…". */
export const MAX_SUBJECT = 200;
const MAX_NAME = 100;
/** RFC 5321: a path is at most 256 octets including the brackets. */
export const MAX_ADDRESS = 254;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROLS = /[\p{Cc}\u2028\u2029]+/gu;

/** One line of header text: controls become spaces, runs of spaces one, at most `max` characters. */
export function cleanHeaderText(value: string, max = MAX_SUBJECT): string {
  const line = value.replace(CONTROLS, " ").replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join("")}…`;
}

/** Parses MAIL_FROM (`Name <address>` or `address`; config.ts checked its form). */
export function parseMailbox(value: string): Address {
  const match = /^(.*)<([^<>]+)>$/.exec(value.trim());
  if (!match) return { name: "", address: value.trim() };
  return { name: cleanHeaderText((match[1] ?? "").replace(/^"|"$/g, ""), MAX_NAME), address: match[2] ?? "" };
}

/** An address the SMTP envelope can carry: one @, no spaces, controls or brackets, ≤ 254 characters. */
export function checkAddress(address: string): string {
  const trimmed = address.trim();
  const ok =
    trimmed.length <= MAX_ADDRESS && /^[^\s\p{Cc}@<>()[\]\\,;:"]+@[^\s\p{Cc}@<>()[\]\\,;:"]+$/u.test(trimmed);
  if (!ok) throw new MailRejectedError("recipient address cannot be sent to");
  return trimmed;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escaped text with http(s) links made clickable. */
function linkify(text: string): string {
  return text
    .split(/(https?:\/\/[^\s<>"']+)/g)
    .map((part, index) =>
      index % 2 === 1 ? `<a href="${escapeHtml(part)}">${escapeHtml(part)}</a>` : escapeHtml(part),
    )
    .join("");
}

export function messageIdFor(key: string, fromAddress: string): string {
  const domain = fromAddress.split("@")[1] || "taskplatform.invalid";
  return `<${createHash("sha256").update(key).digest("hex").slice(0, 40)}@${domain}>`;
}

export interface RenderOptions {
  /** MAIL_FROM */
  from: string;
  /** PUBLIC_URL, without a trailing slash */
  publicUrl: string;
  /** The mail's idempotency key. */
  key: string;
}

export function renderMail(mail: OutgoingMail, options: RenderOptions): RenderedMail {
  const from = parseMailbox(options.from);
  if (mail.fromName !== undefined) from.name = cleanHeaderText(mail.fromName, MAX_NAME);
  const to = { address: checkAddress(mail.to), name: cleanHeaderText(mail.toName ?? "", MAX_NAME) };
  const preferences = `${options.publicUrl}${mail.preferencesPath ?? "/settings#notifications"}`;
  const paragraphs = mail.text
    .replace(/\r\n?/g, "\n")
    .trim()
    .split(/\n{2,}/);
  const footer = `You receive this because of your TaskPlatform notification settings. To stop these mails, change them here: ${preferences}`;
  const action = mail.action
    ? `${cleanHeaderText(mail.action.label, MAX_NAME)}: ${mail.action.url}`
    : undefined;
  const text = [...paragraphs, ...(action ? [action] : []), "-- ", footer].join("\n\n");
  const html = [
    "<!doctype html>",
    '<html lang="en"><body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">',
    ...paragraphs.map((p) => `<p>${linkify(p).replace(/\n/g, "<br>")}</p>`),
    ...(mail.action
      ? [
          `<p><a href="${escapeHtml(mail.action.url)}" style="font-weight: bold">${escapeHtml(cleanHeaderText(mail.action.label, MAX_NAME))}</a></p>`,
        ]
      : []),
    `<hr><p style="font-size: small; color: #555">You receive this because of your TaskPlatform notification settings. <a href="${escapeHtml(preferences)}">Change them to stop these mails</a>.</p>`,
    "</body></html>",
  ].join("\n");
  return {
    kind: mail.kind,
    from,
    to,
    subject: cleanHeaderText(mail.subject),
    text,
    html,
    messageId: messageIdFor(options.key, from.address),
    headers: { "List-Unsubscribe": `<${preferences}>`, "Auto-Submitted": "auto-generated" },
    link: mail.action?.url,
  };
}
