// Bearer authentication. Access tokens are verified without I/O, so they keep working while Redis is
// down. EventSource cannot send headers, so the SSE route may also take ?access_token=.
// authenticate() runs early for every API request (rate limits count per user, so they need to know
// who is asking) and never refuses; requireAuth() refuses with 401 where a user is required.
import type { Context, MiddlewareHandler } from "hono";
import { createAccessVerifier, InvalidTokenError } from "../auth/tokens.ts";
import type { Metrics } from "../metrics.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

interface TokenOptions {
  secret: string;
  allowQueryToken?: boolean;
}

type Outcome = "ok" | "missing_token" | "invalid_token";

/** Reads the request's access token and, when valid, sets the "user" variable. */
function tokenReader(options: TokenOptions) {
  const verify = createAccessVerifier(options.secret);
  return async (c: Context<AppEnv>): Promise<Outcome> => {
    if (c.get("user")) return "ok";
    const header = c.req.header("authorization");
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let token = header?.match(/^Bearer ([A-Za-z0-9._~+/-]+=*)$/i)?.[1];
    if (!token && options.allowQueryToken) token = c.req.query("access_token");
    if (!token) return "missing_token";
    try {
      const claims = await verify(token);
      c.set("user", { id: claims.sub, sessionId: claims.sid });
      return "ok";
    } catch (error) {
      if (error instanceof InvalidTokenError) return "invalid_token";
      throw error;
    }
  };
}

export function authenticate(options: TokenOptions): MiddlewareHandler<AppEnv> {
  const read = tokenReader(options);
  return async function authenticateMiddleware(c, next) {
    await read(c);
    await next();
  };
}

export function requireAuth(options: TokenOptions & { metrics: Metrics }): MiddlewareHandler<AppEnv> {
  const read = tokenReader(options);
  return async function requireAuthMiddleware(c, next) {
    const outcome = await read(c);
    if (outcome !== "ok") {
      options.metrics.authFailures.inc({ reason: outcome });
      throw new ApiError(
        401,
        "unauthorized",
        outcome === "missing_token" ? "sign in required" : "invalid or expired access token",
        undefined,
        { "WWW-Authenticate": 'Bearer realm="taskplatform"' },
      );
    }
    await next();
  };
}
