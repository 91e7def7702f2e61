// The signed-in user's calendar feed (/api/me/calendar-feed) and the public feed's file name.
import { z } from "zod";
import { TOKEN_PATTERN } from "../auth/link-tokens.ts";

export const feedStatusSchema = z.object({
  /** Whether a feed URL exists (it is shown once, when created or regenerated). */
  enabled: z.boolean(),
  /** Only tasks assigned to the user (else every task with a due date in their projects). */
  assignedOnly: z.boolean(),
  createdAt: z.iso.datetime().nullable(),
  /** When a calendar app last fetched the feed (updated at most hourly). */
  lastUsedAt: z.iso.datetime().nullable(),
});

/** POST: a new URL (creating the feed, or replacing its URL); the option keeps its value when left out. */
export const createFeedBody = z.strictObject({ assignedOnly: z.boolean().optional() });
export const createdFeedSchema = feedStatusSchema.extend({
  /** The feed's URL with its secret: answered this once, never again. */
  url: z.url(),
});

/** PATCH: the option, keeping the URL. */
export const updateFeedBody = z.strictObject({ assignedOnly: z.boolean() });

export type FeedStatus = z.infer<typeof feedStatusSchema>;
export type CreatedFeed = z.infer<typeof createdFeedSchema>;

/** `<token>.ics`: the token has the form of every link token (43 base64url characters). */
const FEED_FILE = new RegExp(`^(${TOKEN_PATTERN.source.slice(1, -1)})\\.ics$`);

/** The token in a feed file name, or undefined for anything else (refused before any lookup). */
export function feedToken(file: string): string | undefined {
  return FEED_FILE.exec(file)?.[1];
}
