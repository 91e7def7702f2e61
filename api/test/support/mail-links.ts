// The link a received mail carries, for tests that follow it (invitations, password resets). Bodies may
// be quoted-printable: soft line breaks and =XX escapes are undone before searching.
import type { ReceivedMail } from "./smtp.ts";

export function decodedBody(raw: string): string {
  return raw
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The token after `<path>#` in the mail's text (the first occurrence), or throws. */
export function linkToken(mail: Pick<ReceivedMail, "raw">, path: "/invitation" | "/reset-password"): string {
  const escaped = path.replace(/[/-]/g, "\\$&");
  const match = new RegExp(`https?://[^\\s"<>]+${escaped}#([A-Za-z0-9_-]{43})`).exec(decodedBody(mail.raw));
  if (!match?.[1]) throw new Error(`no ${path} link in the mail`);
  return match[1];
}
