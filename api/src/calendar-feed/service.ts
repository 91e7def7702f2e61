// Calendar feed use cases. The feed's secret is 256 random bits (43 base64url characters, the form of
// every link token), shown once in the URL and stored only as its SHA-256 (auth/link-tokens.ts). It
// reads one user's feed and nothing else: it is no access token (the API reads those from the
// Authorization header only, and a feed token is no JWT), and the feed route reads no Authorization.
import { randomBytes } from "node:crypto";
import { tokenHash } from "../auth/link-tokens.ts";
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { notFound } from "../http/errors.ts";
import * as feeds from "./repository.ts";
import type { FeedStatus } from "./schemas.ts";

const statusOf = (row: feeds.FeedRow | undefined): FeedStatus => ({
  enabled: Boolean(row),
  assignedOnly: row?.assignedOnly ?? false,
  createdAt: row?.createdAt.toISOString() ?? null,
  lastUsedAt: row?.lastUsedAt?.toISOString() ?? null,
});

export const feedPath = (token: string) => `/api/ical/${token}.ics`;

export function createCalendarFeedService({
  sql,
  config,
  metrics,
}: Pick<Deps, "sql" | "config" | "metrics">) {
  return {
    async status(userId: string): Promise<FeedStatus> {
      return statusOf(await feeds.findFeed(sql, userId));
    },

    /** A new URL; any earlier URL of the user's stops working. */
    async create(userId: string, assignedOnly: boolean | undefined) {
      const token = randomBytes(32).toString("base64url");
      const row = await feeds.saveFeed(sql, userId, tokenHash(token), assignedOnly);
      return { ...statusOf(row), url: `${config.publicUrl}${feedPath(token)}` };
    },

    async update(userId: string, assignedOnly: boolean): Promise<FeedStatus> {
      const row = await feeds.setAssignedOnly(sql, userId, assignedOnly);
      if (!row) throw notFound("calendar feed");
      return statusOf(row);
    },

    async revoke(userId: string): Promise<void> {
      await feeds.deleteFeed(sql, userId);
    },

    /** The calendar behind a token (already of the right form), or undefined: no such feed. */
    async render(token: string): Promise<string | undefined> {
      return timed(metrics, "calendar.feed", async () => {
        const feed = await feeds.useFeed(sql, tokenHash(token));
        if (!feed) return undefined;
        const tasks = await feeds.feedTasks(sql, feed.userId, feed.assignedOnly);
        // ical-generator and the zones' VTIMEZONE data load with the first feed, not at every start.
        const { buildCalendar } = await import("./ical.ts");
        return buildCalendar(tasks, {
          publicUrl: config.publicUrl,
          name: `TaskPlatform: ${feed.assignedOnly ? "assigned to" : "tasks of"} ${feed.userName}`,
        });
      });
    },
  };
}
