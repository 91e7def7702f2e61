// /api/me/calendar-feed (signed in): the feed's status, a new URL, the option, revoke.
// /api/ical/<token>.ics (public, the token is the credential): the calendar. Mounted before the
// API's authentication and general rate limits: it reads no Authorization header, and has its own
// limits (per address, shared with the API, and per feed).
import { Hono } from "hono";
import { etag } from "hono/etag";
import { tokenHash } from "../auth/link-tokens.ts";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/context.ts";
import { notFound } from "../http/errors.ts";
import { noStore } from "../http/no-store.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { validate } from "../http/validate.ts";
import { createFeedBody, feedToken, updateFeedBody } from "./schemas.ts";
import { createCalendarFeedService } from "./service.ts";

export function calendarFeedRoutes(deps: Deps) {
  const feeds = createCalendarFeedService(deps);
  return new Hono<AppEnv>()
    .use("/calendar-feed", noStore())
    .get("/calendar-feed", async (c) => c.json(await feeds.status(c.get("user").id)))
    .post("/calendar-feed", validate("json", createFeedBody), async (c) =>
      c.json(await feeds.create(c.get("user").id, c.req.valid("json").assignedOnly), 201),
    )
    .patch("/calendar-feed", validate("json", updateFeedBody), async (c) =>
      c.json(await feeds.update(c.get("user").id, c.req.valid("json").assignedOnly)),
    )
    .delete("/calendar-feed", async (c) => {
      await feeds.revoke(c.get("user").id);
      return c.body(null, 204);
    });
}

const RESULTS: Record<number, string> = {
  200: "ok",
  304: "not_modified",
  404: "not_found",
  429: "rate_limited",
};

/** The file name in the path: `<token>.ics`. */
const fileOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** A feed URL however it is spelt: doubled slashes, another case, an encoded slash (Hono keeps %2F). */
const FEED_PATH = /^\/+api\/+ical(?:\/|%2f)/i;
/** Anything of a feed token's length elsewhere in a path (UUIDs, at 36, are shorter). */
const TOKEN_LIKE = /[A-Za-z0-9_-]{43,}/g;

/** The request log's path: a feed URL's token is a credential, and so is anything that looks like one. */
export const redactFeedPath = (path: string) =>
  FEED_PATH.test(path) ? "/api/ical/[redacted]" : path.replace(TOKEN_LIKE, "[redacted]");

export function publicCalendarRoutes(deps: Deps) {
  const { store, metrics, log, config } = deps;
  const feeds = createCalendarFeedService(deps);
  const limits = config.rateLimit;
  return new Hono<AppEnv>()
    .use(async (c, next) => {
      await next();
      metrics.calendarFeedRequests.inc({ result: RESULTS[c.res.status] ?? "error" });
    })
    .use(
      rateLimit({
        store,
        metrics,
        log,
        windowSeconds: limits.windowSeconds,
        limits: (c) => {
          const token = feedToken(fileOf(c.req.path));
          return [
            { scope: "ip", limit: limits.ip, identity: c.get("clientIp") },
            // Keyed by the token's hash: the store never holds the secret.
            { scope: "calendar_feed", limit: limits.calendarFeed, identity: token && tokenHash(token) },
          ];
        },
      }),
      etag(),
    )
    .get("/:file", async (c) => {
      const token = feedToken(c.req.param("file"));
      const body = token && (await feeds.render(token));
      if (!body) throw notFound("calendar feed");
      return c.body(body, 200, {
        "Content-Type": "text/calendar; charset=utf-8",
        // Only the subscriber's app may keep it, and must ask again (If-None-Match) before using it.
        "Cache-Control": "private, no-cache",
        "X-Robots-Tag": "noindex",
      });
    });
}
