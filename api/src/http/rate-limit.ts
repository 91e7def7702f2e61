// Fixed-window rate limits in the shared store, so every replica counts together. Every limit that
// applies to a request (per address, per user, stricter per address on sign-in routes) is counted in
// one store round trip. Answers 429 with Retry-After and the IETF RateLimit-* headers of the limit that
// refused; successful responses carry the tightest one. If the store is down the limits are skipped
// (fail open): refusing every request because Redis is away would turn a cache outage into a full outage.
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Store, WindowCount } from "../store/store.ts";
import { StoreUnavailableError } from "../store/store.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export interface Limit {
  scope: string;
  limit: number;
  /** Whose counter this request adds to; undefined means the limit does not apply. */
  identity: string | undefined;
  /**
   * A store key whose existence means the limit does not apply, checked in the same round trip (an
   * ended session: http/auth.ts). `settle` learns the answer; false too when the store could not be
   * asked (the limits fail open, and so does that check).
   */
  unless?: { key: string; settle(exists: boolean): void };
}

export interface RateLimitOptions {
  store: Store;
  metrics: Metrics;
  log: Logger;
  windowSeconds: number;
  /** The limits that apply to this request. */
  limits: (c: Context<AppEnv>) => Limit[];
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const { store, metrics, log, windowSeconds } = options;
  const headersOf = (limit: number, remaining: number, window: WindowCount): Record<string, string> => ({
    "RateLimit-Limit": String(limit),
    "RateLimit-Remaining": String(remaining),
    "RateLimit-Reset": String(window.resetSeconds),
    "RateLimit-Policy": `${limit};w=${windowSeconds}`,
  });

  return async function rateLimitMiddleware(c, next) {
    const limits = options.limits(c).filter((limit) => limit.identity !== undefined);
    let windows: WindowCount[];
    try {
      windows = await store.hit(
        limits.map(({ scope, identity, unless }) => ({
          key: `ratelimit:${scope}:${identity}`,
          unless: unless?.key,
        })),
        windowSeconds,
      );
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      for (const limit of limits) limit.unless?.settle(false);
      log.debug("rate limits skipped: store unavailable");
      return next();
    }
    let tightest: Record<string, string> | undefined;
    let tightestRemaining = Number.POSITIVE_INFINITY;
    let refused: { scope: string; window: WindowCount; headers: Record<string, string> } | undefined;
    limits.forEach(({ scope, limit, unless }, i) => {
      const window = windows[i] ?? { count: 0, resetSeconds: windowSeconds };
      unless?.settle(window.skipped === true);
      if (window.skipped) return;
      const remaining = Math.max(0, limit - window.count);
      const headers = headersOf(limit, remaining, window);
      if (window.count > limit && (!refused || window.resetSeconds > refused.window.resetSeconds))
        refused = { scope, window, headers };
      if (remaining < tightestRemaining) {
        tightestRemaining = remaining;
        tightest = headers;
      }
    });
    if (refused) {
      metrics.rateLimited.inc({ scope: refused.scope });
      throw new ApiError(429, "rate_limited", "too many requests; slow down", undefined, {
        ...refused.headers,
        "Retry-After": String(refused.window.resetSeconds),
      });
    }
    await next();
    if (tightest) for (const [name, value] of Object.entries(tightest)) c.res.headers.set(name, value);
  };
}
