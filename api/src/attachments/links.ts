// Download URLs: /api/attachments/<id>/content?u=<user>&e=<expiry>&s=<HMAC>. The signature binds the
// attachment, the user and the expiry (key derived from JWT_SECRET); the download checks it and then,
// like any request, that the user is still a member of the attachment's project. So a URL is
// useless to anyone who is not (or no longer) a member, and dies after LINK_TTL_SECONDS. Neither
// nginx's nor the API's log has query strings.
import { createHmac, timingSafeEqual } from "node:crypto";

export const LINK_TTL_SECONDS = 15 * 60;

const sign = (secret: string, attachmentId: string, userId: string, expires: number) =>
  createHmac("sha256", secret)
    .update(`attachment-download:${attachmentId}:${userId}:${expires}`)
    .digest("base64url");

export function downloadLink(secret: string, attachmentId: string, userId: string, now = Date.now()) {
  const expires = Math.floor(now / 1000) + LINK_TTL_SECONDS;
  const query = new URLSearchParams({
    u: userId,
    e: String(expires),
    s: sign(secret, attachmentId, userId, expires),
  });
  return {
    url: `/api/attachments/${attachmentId}/content?${query}`,
    expiresAt: new Date(expires * 1000).toISOString(),
  };
}

/** Whether the signature is this server's for these values and has not expired. */
export function validLink(
  secret: string,
  attachmentId: string,
  link: { u: string; e: string; s: string },
  now = Date.now(),
): boolean {
  const expires = Number(link.e);
  if (!(expires * 1000 > now)) return false;
  const expected = Buffer.from(sign(secret, attachmentId, link.u, expires));
  const given = Buffer.from(link.s);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
