// Activity history: SQL only, the queryable first. recordActivity is called by the task, checklist and
// comment services inside the transaction of the change it records, so a change and its history
// commit (or roll back) together.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { Activity, ActivityKind, ActivityPage } from "./schemas.ts";

export type ActivityRow = WithDates<Activity, "createdAt">;

export interface NewActivity {
  projectId: string;
  taskId: string | null;
  actorId: string;
  kind: ActivityKind;
  data?: Record<string, unknown>;
}

/** Records one entry, or many in one statement per 10,000 (an import's). */
export async function recordActivity(tx: Queryable, entries: NewActivity | NewActivity[]): Promise<void> {
  const rows = (Array.isArray(entries) ? entries : [entries]).map((entry) => ({
    projectId: entry.projectId,
    taskId: entry.taskId,
    actorId: entry.actorId,
    kind: entry.kind,
    data: tx.json((entry.data ?? {}) as never),
  }));
  for (let start = 0; start < rows.length; start += 10_000) {
    await tx`INSERT INTO activity ${tx(rows.slice(start, start + 10_000))}`;
  }
}

const page = (
  rows: ActivityRow[],
  limit: number,
): { items: ActivityRow[]; nextCursor: ActivityPage["nextCursor"] } => {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
};

/** Newest first, `limit` entries after the cursor (an entry id), for the project or one of its tasks. */
export async function listActivity(
  db: Queryable,
  where: { projectId: string } | { taskId: string },
  { cursor, limit }: { cursor?: string; limit: number },
) {
  const scope = "taskId" in where ? db`a.task_id = ${where.taskId}` : db`a.project_id = ${where.projectId}`;
  const rows = await db<ActivityRow[]>`
    SELECT a.id::text AS id, a.project_id, a.task_id, a.actor_id, u.name AS actor_name, a.kind, a.data, a.created_at
    FROM activity a LEFT JOIN users u ON u.id = a.actor_id
    WHERE ${scope} ${cursor ? db`AND a.id < ${cursor}::bigint` : db``}
    ORDER BY a.id DESC LIMIT ${limit + 1}`;
  return page(rows, limit);
}
