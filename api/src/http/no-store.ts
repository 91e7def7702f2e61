// Cache-Control: no-store for responses that carry credentials or a user's whole data (sign-in,
// refresh, export): no browser cache or shared proxy may keep a copy. Set after the handler, so error
// responses get it too.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";

export function noStore(): MiddlewareHandler<AppEnv> {
  return async function noStoreMiddleware(c, next) {
    await next();
    c.res.headers.set("Cache-Control", "no-store");
  };
}
