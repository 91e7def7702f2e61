// The signed-in user's calendar feed: /api/me/calendar-feed. The URL comes back once, from create.
import type { CreatedFeed, FeedStatus } from "../../../api/src/calendar-feed/schemas.ts";
import { json, request } from "./http";

export type { FeedStatus as CalendarFeedStatus };

const PATH = "/api/me/calendar-feed";

export const calendarFeedApi = {
  status: () => request<FeedStatus>(PATH),
  /** A new URL (any older one stops working). */
  create: (assignedOnly: boolean) => request<CreatedFeed>(PATH, json("POST", { assignedOnly })),
  setAssignedOnly: (assignedOnly: boolean) => request<FeedStatus>(PATH, json("PATCH", { assignedOnly })),
  revoke: () => request<null>(PATH, { method: "DELETE" }),
};
