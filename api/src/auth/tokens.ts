// Access tokens: HS256 JWTs, algorithm pinned. Hono's verifier accepts tokens without `exp`, so the
// required claims are checked here.
import { sign, verify } from "hono/jwt";

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export class InvalidTokenError extends Error {}

export function signAccessToken(
  secret: string,
  subject: { userId: string; sessionId: string },
  ttlSeconds: number,
  now = Date.now(),
) {
  const iat = Math.floor(now / 1000);
  const claims: AccessClaims = {
    sub: subject.userId,
    sid: subject.sessionId,
    jti: crypto.randomUUID(),
    iat,
    exp: iat + ttlSeconds,
  };
  return sign({ ...claims }, secret, "HS256");
}

export type AccessVerifier = (token: string) => Promise<AccessClaims>;

/** Verified tokens remembered at most; past this the memory is simply cleared. */
const VERIFIED_CACHE_MAX = 10_000;

/**
 * Verifies access tokens with a key imported once, and remembers tokens it verified until they
 * expire: a client sends the same token with every request for its whole lifetime, and a token that
 * verified once stays valid until `exp` (the signature cannot change).
 */
export function createAccessVerifier(secret: string, now: () => number = Date.now): AccessVerifier {
  let key: Promise<CryptoKey> | undefined;
  const importKey = () =>
    crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
  const verified = new Map<string, AccessClaims>();
  return async (token) => {
    const known = verified.get(token);
    if (known) {
      if (known.exp * 1000 > now()) return known;
      verified.delete(token);
      throw new InvalidTokenError("token expired");
    }
    key ??= importKey();
    const claims = await verifyAccessToken(await key, token);
    if (verified.size >= VERIFIED_CACHE_MAX) verified.clear();
    verified.set(token, claims);
    return claims;
  };
}

export async function verifyAccessToken(secret: string | CryptoKey, token: string): Promise<AccessClaims> {
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, secret, { alg: "HS256" });
  } catch {
    throw new InvalidTokenError("invalid or expired token");
  }
  const { sub, sid, jti, iat, exp } = payload;
  if (
    typeof exp !== "number" ||
    typeof iat !== "number" ||
    typeof sub !== "string" ||
    typeof jti !== "string" ||
    typeof sid !== "string"
  ) {
    throw new InvalidTokenError("token lacks required claims");
  }
  if (exp * 1000 <= Date.now()) throw new InvalidTokenError("token expired");
  return { sub, sid, jti, iat, exp };
}
