// The client's address for rate limits and session records. Behind the proxy (TRUST_PROXY=true) it
// is the last address nginx appended to X-Forwarded-For; otherwise the socket's peer address.
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";
import type { AppEnv } from "./context.ts";

export function clientIp(options: { trustProxy: boolean }): MiddlewareHandler<AppEnv> {
  return async function clientIpMiddleware(c, next) {
    let ip: string | undefined;
    if (options.trustProxy) ip = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (!ip) {
      try {
        ip = getConnInfo(c).remote.address;
      } catch {
        // app.request() in tests has no socket.
      }
    }
    c.set("clientIp", ip || "unknown");
    await next();
  };
}
