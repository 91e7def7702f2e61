// The signed-in user's calendar feed: /api/me/calendar-feed. The URL comes back once, from create.
import { json, request } from "./http";

export interface CalendarFeedStatus {
  enabled: boolean;
  assignedOnly: boolean;
  createdAt: string | null;
  lastUsedAt: string | null;
}

export interface CreatedCalendarFeed extends CalendarFeedStatus {
  url: string;
}

const PATH = "/api/me/calendar-feed";

export const calendarFeedApi = {
  status: () => request<CalendarFeedStatus>(PATH),
  /** A new URL (any older one stops working). */
  create: (assignedOnly: boolean) => request<CreatedCalendarFeed>(PATH, json("POST", { assignedOnly })),
  setAssignedOnly: (assignedOnly: boolean) =>
    request<CalendarFeedStatus>(PATH, json("PATCH", { assignedOnly })),
  revoke: () => request<null>(PATH, { method: "DELETE" }),
};
