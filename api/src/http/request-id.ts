// Request id: taken from X-Request-Id when it looks sane (the proxy sets one), otherwise generated,
// and echoed back so a user's report can be matched with the logs.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header("x-request-id");
    const id = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  };
}
