// One JSON access-log line and the RED metrics per request, labelled by route template (never the raw
// path, which would explode label cardinality).
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { AppEnv } from "./context.ts";

export const UNMATCHED_ROUTE = "unmatched";

export function routeTemplate(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  // Middleware is registered as method ALL; the first method-specific match is the handler that ran
  // (later ones are the static-file and SPA catch-alls).
  return matchedRoutes(c).find((route) => route.method !== "ALL")?.path ?? UNMATCHED_ROUTE;
}

export function observe(options: {
  log: Logger;
  metrics: Metrics;
  /** The path as logged: a path that carries a credential (a calendar feed's URL) loses it here. */
  redactPath?: (path: string) => string;
}): MiddlewareHandler<AppEnv> {
  const { log, metrics, redactPath = (path: string) => path } = options;
  return async function observeMiddleware(c, next) {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeTemplate(c);
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
    const status = c.res.status;
    const fields = {
      requestId: c.get("requestId"),
      method: c.req.method,
      route,
      path: redactPath(c.req.path),
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
      userId: c.get("user")?.id ?? null,
      ip: c.get("clientIp"),
    };
    if (status >= 500) log.error("request", fields);
    else log.info("request", fields);
  };
}
