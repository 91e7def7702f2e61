// The calendar: tasks due in a window of time, across the caller's projects or in one of them.
import { z } from "zod";
import { queryFlag } from "../http/query-flag.ts";
import { isoDate, taskSchema } from "../tasks/schemas.ts";

/** A month view with its leading and trailing weeks is 42 days; two months fit, a year does not. */
export const MAX_CALENDAR_DAYS = 62;
/** More tasks due in one window than anyone reads: the answer says it was cut (`truncated`). */
export const MAX_CALENDAR_TASKS = 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export const calendarQuery = z
  .strictObject({
    /** Start of the window (inclusive), an ISO 8601 date-time with offset: the viewer's local midnight. */
    from: isoDate,
    /** End of the window (exclusive). */
    to: isoDate,
    /** Only this project's tasks (members; others get 404). Without it: every project of the caller. */
    projectId: z.uuid().optional(),
    /** true: only tasks assigned to the caller. */
    assignedToMe: queryFlag(),
  })
  .refine((query) => Date.parse(query.to) > Date.parse(query.from), {
    message: "must be after from",
    path: ["to"],
  })
  .refine((query) => Date.parse(query.to) - Date.parse(query.from) <= MAX_CALENDAR_DAYS * DAY_MS, {
    message: `the window may span at most ${MAX_CALENDAR_DAYS} days`,
    path: ["to"],
  });

export const calendarPage = z.object({
  /** Due first, ties by id; archived tasks are left out, and so are archived projects' without projectId. */
  items: z.array(taskSchema),
  /** True when more than MAX_CALENDAR_TASKS tasks are due in the window (the first ones are answered). */
  truncated: z.boolean(),
});

export type CalendarQuery = z.infer<typeof calendarQuery>;
