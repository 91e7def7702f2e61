// The calendar: /api/calendar, tasks due in a window (≤ 62 days) across my projects or in one.
import { request } from "./http";
import type { Task } from "./types";

export interface CalendarWindow {
  /** ISO 8601 date-times with offset: [from, to). */
  from: string;
  to: string;
  projectId?: string;
  assignedToMe?: boolean;
}

export const calendarApi = {
  due: (window: CalendarWindow, signal?: AbortSignal) => {
    const query = new URLSearchParams({ from: window.from, to: window.to });
    if (window.projectId) query.set("projectId", window.projectId);
    if (window.assignedToMe) query.set("assignedToMe", "true");
    return request<{ items: Task[]; truncated: boolean }>(`/api/calendar?${query}`, { signal });
  },
};
