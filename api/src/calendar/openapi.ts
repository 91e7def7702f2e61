// The calendar route as an OpenAPI operation (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { calendarPage, calendarQuery } from "./schemas.ts";

export const calendarOperations: Operation[] = [
  {
    tag: "calendar",
    method: "get",
    path: "/api/calendar",
    summary: "Tasks due in a window (≤ 62 days), across the caller's projects or in one",
    auth: true,
    query: calendarQuery,
    response: calendarPage,
  },
];
