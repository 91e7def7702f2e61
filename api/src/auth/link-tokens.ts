// Tokens in mailed links (invitations, password resets). Nothing usable is stored: a link's token is
// HMAC-SHA256(server key, purpose:id:nonce), 256 bits. The row keeps the nonce and the token's SHA-256;
// the job that mails the link derives the token again (so no token is in a job payload, the outbox or a
// log), and a presented token is looked up by its SHA-256. A database dump alone gives no link; a new
// nonce makes every older link of the row dead. Changing JWT_SECRET ends pending links with the sessions.
import { createHash, createHmac, randomBytes } from "node:crypto";

export type LinkPurpose = "invitation" | "password-reset";

/** A fresh nonce for a row (or a re-send). */
export const newNonce = () => randomBytes(16).toString("hex");

export function linkToken(secret: string, purpose: LinkPurpose, id: string, nonce: string): string {
  return createHmac("sha256", secret).update(`mail-link:${purpose}:${id}:${nonce}`).digest("base64url");
}

/** What is stored and looked up: the token's SHA-256, hex. */
export const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

/** The form every token has (43 base64url characters); anything else is refused before any lookup. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
