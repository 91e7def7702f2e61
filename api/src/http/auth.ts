// Bearer authentication. The signature is checked in memory; then the store is asked whether the
// token's session was ended, so signing out, a password change or "sign out others" ends access tokens
// at once instead of when they expire. If the store is unreachable that check is skipped and tokens
// keep working until they expire (the rate limits fail open the same way). Tokens are only read from
// the Authorization header: a URL ends up in proxy logs.
//
// authenticate() runs early for every API request and never refuses: it verifies the token (no I/O).
// The session check rides on the rate limits' store round trip instead of costing one of its own:
// userLimit() is the per-user limit, counted only while the session has no ended marker, and it signs
// the request in ("user") once the store said so. requireAuth() refuses with 401 where a user is
// required; for a request that was not signed in it reads the token again, with its own session check,
// to say why.
import type { Context, MiddlewareHandler } from "hono";
import { endedSessionKey, sessionEnded } from "../auth/sessions.ts";
import { createAccessVerifier, InvalidTokenError } from "../auth/tokens.ts";
import type { Metrics } from "../metrics.ts";
import { type Store, StoreUnavailableError } from "../store/store.ts";
import type { AppEnv, AuthenticatedUser } from "./context.ts";
import { ApiError } from "./errors.ts";
import type { Limit } from "./rate-limit.ts";

interface TokenOptions {
  secret: string;
}

type Outcome = "ok" | "missing_token" | "invalid_token" | "ended_session";

async function hasEnded(store: Store, sessionId: string): Promise<boolean> {
  try {
    return await sessionEnded(store, sessionId);
  } catch (error) {
    if (error instanceof StoreUnavailableError) return false;
    throw error;
  }
}

/** The request's access token, checked in memory (signature, expiry), or why there is none. */
function tokenVerifier(options: TokenOptions) {
  const verify = createAccessVerifier(options.secret);
  return async (c: Context<AppEnv>): Promise<AuthenticatedUser | "missing_token" | "invalid_token"> => {
    const header = c.req.header("authorization");
    // The scheme is case-insensitive (RFC 9110 §11.1).
    const token = header?.match(/^Bearer ([A-Za-z0-9._~+/-]+=*)$/i)?.[1];
    if (!token) return "missing_token";
    try {
      const claims = await verify(token);
      return { id: claims.sub, sessionId: claims.sid, expiresAt: claims.exp * 1000 };
    } catch (error) {
      if (error instanceof InvalidTokenError) return "invalid_token";
      throw error;
    }
  };
}

/** Sets the "verifiedToken" variable when the request carries a valid access token. */
export function authenticate(options: TokenOptions): MiddlewareHandler<AppEnv> {
  const verify = tokenVerifier(options);
  return async function authenticateMiddleware(c, next) {
    const token = await verify(c);
    if (typeof token !== "string") c.set("verifiedToken", token);
    await next();
  };
}

/**
 * The per-user rate limit. Its round trip also checks the verified token's session: a live session
 * signs the request in and counts against its user; an ended one does neither.
 */
export function userLimit(c: Context<AppEnv>, limit: number): Limit {
  const token = c.get("verifiedToken");
  if (!token) return { scope: "user", limit, identity: undefined };
  return {
    scope: "user",
    limit,
    identity: token.id,
    unless: {
      key: endedSessionKey(token.sessionId),
      settle: (ended) => {
        if (!ended) c.set("user", token);
      },
    },
  };
}

const REFUSALS: Record<Exclude<Outcome, "ok">, string> = {
  missing_token: "sign in required",
  invalid_token: "invalid or expired access token",
  ended_session: "this session has ended; sign in again",
};

export function requireAuth(
  options: TokenOptions & { metrics: Metrics; store: Store },
): MiddlewareHandler<AppEnv> {
  const verify = tokenVerifier(options);
  const read = async (c: Context<AppEnv>): Promise<Outcome> => {
    if (c.get("user")) return "ok";
    const token = await verify(c);
    if (typeof token === "string") return token;
    if (await hasEnded(options.store, token.sessionId)) return "ended_session";
    c.set("user", token);
    return "ok";
  };
  return async function requireAuthMiddleware(c, next) {
    const outcome = await read(c);
    if (outcome !== "ok") {
      options.metrics.authFailures.inc({ reason: outcome });
      throw new ApiError(401, "unauthorized", REFUSALS[outcome], undefined, {
        "WWW-Authenticate": 'Bearer realm="taskplatform"',
      });
    }
    await next();
  };
}
