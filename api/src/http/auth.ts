// Bearer authentication. The signature is checked in memory; then the store is asked whether the
// token's session was ended (one GET), so signing out, a password change or "sign out others" ends
// access tokens at once instead of when they expire. If the store is unreachable that check is
// skipped and tokens keep working until they expire (the rate limits fail open the same way). The
// store comes from the context ("deps", set first by createApp), which keeps these middlewares'
// options as they were. Tokens are only read from the Authorization header: a URL ends up in proxy
// logs. authenticate() runs early for every API request (rate limits count per user, so they need to
// know who is asking) and never refuses; requireAuth() refuses with 401 where a user is required.
import type { Context, MiddlewareHandler } from "hono";
import { sessionEnded } from "../auth/sessions.ts";
import { type AccessClaims, createAccessVerifier, InvalidTokenError } from "../auth/tokens.ts";
import type { Metrics } from "../metrics.ts";
import { type Store, StoreUnavailableError } from "../store/store.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

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

/** Reads the request's access token and, when valid, sets the "user" variable. */
function tokenReader(options: TokenOptions) {
  const verify = createAccessVerifier(options.secret);
  return async (c: Context<AppEnv>): Promise<Outcome> => {
    if (c.get("user")) return "ok";
    const header = c.req.header("authorization");
    // The scheme is case-insensitive (RFC 9110 §11.1).
    const token = header?.match(/^Bearer ([A-Za-z0-9._~+/-]+=*)$/i)?.[1];
    if (!token) return "missing_token";
    let claims: AccessClaims;
    try {
      claims = await verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) return "invalid_token";
      throw error;
    }
    if (await hasEnded(c.get("deps").store, claims.sid)) return "ended_session";
    c.set("user", { id: claims.sub, sessionId: claims.sid, expiresAt: claims.exp * 1000 });
    return "ok";
  };
}

export function authenticate(options: TokenOptions): MiddlewareHandler<AppEnv> {
  const read = tokenReader(options);
  return async function authenticateMiddleware(c, next) {
    await read(c);
    await next();
  };
}

const REFUSALS: Record<Exclude<Outcome, "ok">, string> = {
  missing_token: "sign in required",
  invalid_token: "invalid or expired access token",
  ended_session: "this session has ended; sign in again",
};

export function requireAuth(options: TokenOptions & { metrics: Metrics }): MiddlewareHandler<AppEnv> {
  const read = tokenReader(options);
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
