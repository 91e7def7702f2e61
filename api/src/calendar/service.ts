// Calendar use cases: the caller's tasks due in a window, across their projects or in one (members
// only; a project they are not in is 404 like everywhere else).
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { requireRole } from "../projects/access.ts";
import { calendarJson } from "./repository.ts";
import type { CalendarQuery } from "./schemas.ts";

export function createCalendarService({ sql, metrics }: Deps) {
  return {
    async due(userId: string, query: CalendarQuery): Promise<string> {
      if (query.projectId) await requireRole(sql, query.projectId, userId, "viewer");
      return timed(metrics, "calendar.list", () => calendarJson(sql, userId, query));
    },
  };
}
