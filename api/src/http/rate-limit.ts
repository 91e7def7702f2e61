// Fixed-window rate limits in the shared store, so every replica counts together. Answers 429 with
// Retry-After and the IETF RateLimit-* headers. If the store is down the limit is skipped (fail open):
// refusing every request because Redis is away would turn a cache outage into a full outage.
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";
import { StoreUnavailableError } from "../store/store.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export interface RateLimitOptions {
  store: Store;
  metrics: Metrics;
  log: Logger;
  scope: string;
  limit: number;
  windowSeconds: number;
  /** The counter's identity for this request; undefined skips the limit. */
  key: (c: Context<AppEnv>) => string | undefined;
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const identity = options.key(c);
    if (identity === undefined) return next();
    let hit: { count: number; resetSeconds: number };
    try {
      hit = await options.store.hit(`ratelimit:${options.scope}:${identity}`, options.windowSeconds);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      options.log.debug("rate limit skipped: store unavailable", { scope: options.scope });
      return next();
    }
    const remaining = Math.max(0, options.limit - hit.count);
    const headers = {
      "RateLimit-Limit": String(options.limit),
      "RateLimit-Remaining": String(remaining),
      "RateLimit-Reset": String(hit.resetSeconds),
      "RateLimit-Policy": `${options.limit};w=${options.windowSeconds}`,
    };
    if (hit.count > options.limit) {
      options.metrics.rateLimited.inc({ scope: options.scope });
      throw new ApiError(429, "rate_limited", "too many requests; slow down", undefined, {
        ...headers,
        "Retry-After": String(hit.resetSeconds),
      });
    }
    await next();
    // Limits nest (IP around user around auth); the client hears about the tightest one.
    const tighter = c.res.headers.get("RateLimit-Remaining");
    if (tighter !== null && Number(tighter) <= remaining) return;
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
