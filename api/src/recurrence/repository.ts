// Recurring tasks: SQL only, the queryable first (the completion's transaction).
import type { ChecklistItem } from "../checklists/repository.ts";
import type { Queryable } from "../db/client.ts";
import type { TargetColumn } from "../tasks/repository.ts";

/**
 * Claims the right to create `taskId`'s next occurrence: true once per task, ever. Two completions
 * at once (two replicas, two clicks) insert the same key; the second waits for the first's commit
 * and then inserts nothing. A rolled-back completion leaves no claim behind.
 */
export async function claimNextOccurrence(tx: Queryable, taskId: string): Promise<boolean> {
  const rows = await tx`
    INSERT INTO task_recurrences (task_id) VALUES (${taskId}) ON CONFLICT (task_id) DO NOTHING RETURNING task_id`;
  return rows.length > 0;
}

export async function linkNextOccurrence(tx: Queryable, taskId: string, nextTaskId: string): Promise<void> {
  await tx`UPDATE task_recurrences SET next_task_id = ${nextTaskId} WHERE task_id = ${taskId}`;
}

/** The first column (board order) that is not a done column: where a next occurrence starts. */
export async function firstOpenColumn(tx: Queryable, projectId: string): Promise<TargetColumn | undefined> {
  const [column] = await tx<TargetColumn[]>`
    SELECT id, name, kind::text AS kind, done FROM columns
    WHERE project_id = ${projectId} AND NOT done ORDER BY position, id LIMIT 1`;
  return column;
}

/** Copies the checklist of `fromTaskId` onto `toTaskId`, every item unticked, in the same order. */
export async function copyChecklistUnticked(
  tx: Queryable,
  fromTaskId: string,
  toTaskId: string,
): Promise<ChecklistItem[]> {
  const items = await tx<ChecklistItem[]>`
    INSERT INTO checklist_items (task_id, text, done, position)
    SELECT ${toTaskId}, text, false, position FROM checklist_items WHERE task_id = ${fromTaskId}
    RETURNING id, task_id, text, done, position, created_at, updated_at`;
  return [...items].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
}
