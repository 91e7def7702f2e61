// /api/calendar: tasks by due date in a window of at most 62 days, for the web's month and week views.
// Use cases: service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { calendarQuery } from "./schemas.ts";
import { createCalendarService } from "./service.ts";

export function calendarRoutes(deps: Deps) {
  const calendar = createCalendarService(deps);

  return new Hono<AppEnv>().get("/", validate("query", calendarQuery), async (c) => {
    const body = await calendar.due(c.get("user").id, c.req.valid("query"));
    return c.body(body, 200, { "Content-Type": "application/json" });
  });
}
