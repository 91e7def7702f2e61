// Calendar: SQL only. Tasks due in [from, to) of the projects the user is a member of; each project's
// part is a range scan of tasks_due_idx (project_id, due_at, id).
import type { Queryable } from "../db/client.ts";
import { TASK_JSON } from "../tasks/repository.ts";
import { type CalendarQuery, MAX_CALENDAR_TASKS } from "./schemas.ts";

/** The JSON body of GET /api/calendar: {"items":[…],"truncated":…}. */
export async function calendarJson(db: Queryable, userId: string, query: CalendarQuery): Promise<string> {
  const conditions = [
    db`t.due_at >= ${query.from}::timestamptz`,
    db`t.due_at < ${query.to}::timestamptz`,
    db`t.archived_at IS NULL`,
  ];
  // One project (an archived one too: its members may look); all of them: the ones in use.
  if (query.projectId) conditions.push(db`t.project_id = ${query.projectId}`);
  else conditions.push(db`p.archived_at IS NULL`);
  if (query.assignedToMe) conditions.push(db`t.assignee_id = ${userId}`);
  const where = conditions.reduce((all, condition) => db`${all} AND ${condition}`);
  const rows = await db<{ json: string }[]>`
    SELECT ${db.unsafe(TASK_JSON)} AS json
    FROM project_members m
    JOIN projects p ON p.id = m.project_id
    JOIN tasks t ON t.project_id = m.project_id
    WHERE m.user_id = ${userId} AND ${where}
    ORDER BY t.due_at, t.id
    LIMIT ${MAX_CALENDAR_TASKS + 1}`;
  const items = rows.slice(0, MAX_CALENDAR_TASKS).map((row) => row.json);
  return `{"items":[${items.join(",")}],"truncated":${rows.length > MAX_CALENDAR_TASKS}}`;
}
