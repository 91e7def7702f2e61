// Bearer authentication. Access tokens are verified without I/O, so they keep working while Redis is
// down. EventSource cannot send headers, so the SSE route may also take ?access_token=.
import type { MiddlewareHandler } from "hono";
import { InvalidTokenError, verifyAccessToken } from "../auth/tokens.ts";
import type { Metrics } from "../metrics.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export function requireAuth(options: {
  secret: string;
  metrics: Metrics;
  allowQueryToken?: boolean;
}): MiddlewareHandler<AppEnv> {
  const refuse = (reason: string, message: string) => {
    options.metrics.authFailures.inc({ reason });
    return new ApiError(401, "unauthorized", message, undefined, {
      "WWW-Authenticate": 'Bearer realm="taskplatform"',
    });
  };
  return async function requireAuthMiddleware(c, next) {
    const header = c.req.header("authorization");
    let token = header?.match(/^Bearer ([A-Za-z0-9._~+/-]+=*)$/)?.[1];
    if (!token && options.allowQueryToken) token = c.req.query("access_token");
    if (!token) throw refuse("missing_token", "sign in required");
    try {
      const claims = await verifyAccessToken(options.secret, token);
      c.set("user", { id: claims.sub, sessionId: claims.sid });
    } catch (error) {
      if (error instanceof InvalidTokenError)
        throw refuse("invalid_token", "invalid or expired access token");
      throw error;
    }
    await next();
  };
}
