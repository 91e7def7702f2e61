// The calendar feed routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { createdFeedSchema, createFeedBody, feedStatusSchema, updateFeedBody } from "./schemas.ts";

export const calendarFeedOperations: Operation[] = [
  {
    tag: "calendar-feed",
    method: "get",
    path: "/api/me/calendar-feed",
    summary: "Your calendar feed: whether it exists, its option, when it was last fetched (never its URL)",
    auth: true,
    response: feedStatusSchema,
  },
  {
    tag: "calendar-feed",
    method: "post",
    path: "/api/me/calendar-feed",
    summary:
      "Create your calendar feed, or give it a new URL (the old one stops working); the URL is answered once",
    auth: true,
    body: createFeedBody,
    response: createdFeedSchema,
    status: 201,
  },
  {
    tag: "calendar-feed",
    method: "patch",
    path: "/api/me/calendar-feed",
    summary: "Change the feed's option (only tasks assigned to you), keeping its URL; 404 without a feed",
    auth: true,
    body: updateFeedBody,
    response: feedStatusSchema,
  },
  {
    tag: "calendar-feed",
    method: "delete",
    path: "/api/me/calendar-feed",
    summary: "Revoke your calendar feed: its URL answers 404 from now on",
    auth: true,
    status: 204,
  },
  {
    tag: "calendar-feed",
    method: "get",
    path: "/api/ical/{file}",
    summary:
      "The calendar (text/calendar, RFC 5545) behind a feed URL, `<token>.ics`; ETag and If-None-Match (304); an unknown, revoked or malformed token is 404",
  },
];
