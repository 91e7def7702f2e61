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

export async function recordActivity(tx: Queryable, entry: NewActivity): Promise<void> {
  await tx`
    INSERT INTO activity (project_id, task_id, actor_id, kind, data)
    VALUES (${entry.projectId}, ${entry.taskId}, ${entry.actorId}, ${entry.kind}, ${tx.json((entry.data ?? {}) as never)})`;
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
