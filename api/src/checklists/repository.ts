// Checklist items: SQL only, the queryable first.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { ChecklistItem as ItemResponse, UpdateChecklistItem } from "./schemas.ts";

export type ChecklistItem = WithDates<ItemResponse, "createdAt" | "updatedAt">;

const GAP = 1024;
const columns = (db: Queryable) => db`id, task_id, text, done, position, created_at, updated_at`;

export const listItems = (db: Queryable, taskId: string) =>
  db<
    ChecklistItem[]
  >`SELECT ${columns(db)} FROM checklist_items WHERE task_id = ${taskId} ORDER BY position, id`;

export async function findItem(db: Queryable, taskId: string, itemId: string) {
  const [item] = await db<ChecklistItem[]>`
    SELECT ${columns(db)} FROM checklist_items WHERE id = ${itemId} AND task_id = ${taskId}`;
  return item;
}

/**
 * Locks the task row (writers of one checklist queue, so the item cap holds) and counts its items.
 * Two statements: a count in the locking statement would use the snapshot taken before the wait.
 */
export async function lockChecklist(tx: Queryable, taskId: string): Promise<number | undefined> {
  const locked = await tx`SELECT id FROM tasks WHERE id = ${taskId} FOR NO KEY UPDATE`;
  if (locked.length === 0) return undefined;
  const [row] = await tx<
    { count: number }[]
  >`SELECT count(*)::int AS count FROM checklist_items WHERE task_id = ${taskId}`;
  return row?.count ?? 0;
}

export async function insertItem(
  tx: Queryable,
  taskId: string,
  input: { text: string; done?: boolean },
): Promise<ChecklistItem> {
  const [item] = await tx<ChecklistItem[]>`
    INSERT INTO checklist_items (task_id, text, done, position)
    SELECT ${taskId}, ${input.text}, ${input.done ?? false}, coalesce(max(position), 0) + ${GAP}
    FROM checklist_items WHERE task_id = ${taskId}
    RETURNING ${columns(tx)}`;
  if (!item) throw new Error("insert returned no row");
  return item;
}

export async function updateItem(
  tx: Queryable,
  current: ChecklistItem,
  changes: UpdateChecklistItem,
): Promise<ChecklistItem> {
  const [item] = await tx<ChecklistItem[]>`
    UPDATE checklist_items SET text = ${changes.text ?? current.text}, done = ${changes.done ?? current.done},
      updated_at = now()
    WHERE id = ${current.id} RETURNING ${columns(tx)}`;
  if (!item) throw new Error("update returned no row");
  return item;
}

export const deleteItem = (tx: Queryable, itemId: string) =>
  tx`DELETE FROM checklist_items WHERE id = ${itemId}`;

/** Puts the items in the order of `ids` (every item of the task), GAP apart. */
export const renumber = (tx: Queryable, taskId: string, ids: string[]) =>
  tx`UPDATE checklist_items SET position = ordered.rank * ${GAP}
     FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS ordered (id, rank)
     WHERE checklist_items.id = ordered.id AND checklist_items.task_id = ${taskId}`;

export interface TaskCounts {
  taskId: string;
  checklistDone: number;
  checklistTotal: number;
  comments: number;
}

/**
 * Checklist progress and comment counts of every task of the project that has any, in one query
 * (the board and the list read it once, not per task): both aggregates run on the task_id indexes.
 */
export const projectTaskCounts = (db: Queryable, projectId: string) =>
  db<TaskCounts[]>`
    SELECT t.id AS task_id, coalesce(c.done, 0)::int AS checklist_done, coalesce(c.total, 0)::int AS checklist_total,
      coalesce(m.count, 0)::int AS comments
    FROM tasks t
    LEFT JOIN (SELECT i.task_id, count(*) FILTER (WHERE i.done) AS done, count(*) AS total
               FROM checklist_items i JOIN tasks it ON it.id = i.task_id WHERE it.project_id = ${projectId}
               GROUP BY i.task_id) c ON c.task_id = t.id
    LEFT JOIN (SELECT k.task_id, count(*) AS count
               FROM comments k JOIN tasks kt ON kt.id = k.task_id WHERE kt.project_id = ${projectId}
               GROUP BY k.task_id) m ON m.task_id = t.id
    WHERE t.project_id = ${projectId} AND (c.total IS NOT NULL OR m.count IS NOT NULL)`;
