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

export async function verifyAccessToken(secret: string, token: string): Promise<AccessClaims> {
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
