// Columns: SQL only, the queryable first. Column writes run with the project row locked (tasks'
// lockProject: it also bumps tasks_version, since moving or re-kinding a column's tasks changes lists).
import type { Queryable } from "../db/client.ts";
import { POSITION_GAP, TASK_JSON } from "../tasks/repository.ts";
import type { Column, CreateColumn, UpdateColumn } from "./schemas.ts";

const columnFields = (db: Queryable) =>
  db`id, project_id, name, kind::text AS kind, done, wip_limit, position`;

export async function listColumns(db: Queryable, projectId: string): Promise<Column[]> {
  return [
    ...(await db<Column[]>`
      SELECT ${columnFields(db)} FROM columns WHERE project_id = ${projectId} ORDER BY position, id`),
  ];
}

/**
 * The board as JSON text, built by PostgreSQL in one query whatever the number of columns and tasks:
 * {"columns":[…],"tasks":[…]} (tasks in board order). Archived tasks stay off the board; the tasks
 * come from migration 0007's partial index `tasks_active_position_idx` (project_id, position, id)
 * WHERE archived_at IS NULL, already in board order, so archived rows are never read.
 */
export async function boardJson(db: Queryable, projectId: string): Promise<string> {
  const [row] = await db<{ json: string }[]>`
    SELECT '{"columns":' || coalesce((
        SELECT json_agg(json_build_object('id', c.id, 'projectId', c.project_id, 'name', c.name, 'kind', c.kind,
                 'done', c.done, 'wipLimit', c.wip_limit, 'position', c.position) ORDER BY c.position, c.id)::text
        FROM columns c WHERE c.project_id = ${projectId}), '[]')
      || ',"tasks":[' || coalesce((
        SELECT string_agg(${db.unsafe(TASK_JSON)}, ',' ORDER BY t.position, t.id)
        FROM tasks t WHERE t.project_id = ${projectId} AND t.archived_at IS NULL), '') || ']}' AS json`;
  return row?.json ?? '{"columns":[],"tasks":[]}';
}

export async function countColumns(tx: Queryable, projectId: string): Promise<number> {
  const [row] = await tx<{ count: number }[]>`
    SELECT count(*)::int AS count FROM columns WHERE project_id = ${projectId}`;
  return row?.count ?? 0;
}

/** The column with its task count and the number of columns of its kind, locked for the write. */
export async function lockColumn(
  tx: Queryable,
  projectId: string,
  columnId: string,
): Promise<(Column & { tasks: number; sameKind: number }) | undefined> {
  const [column] = await tx<(Column & { tasks: number; sameKind: number })[]>`
    SELECT ${columnFields(tx)},
      (SELECT count(*)::int FROM tasks t WHERE t.project_id = c.project_id AND t.column_id = c.id) AS tasks,
      (SELECT count(*)::int FROM columns k WHERE k.project_id = c.project_id AND k.kind = c.kind) AS same_kind
    FROM columns c WHERE project_id = ${projectId} AND id = ${columnId} FOR UPDATE`;
  return column;
}

/** Appends a column at the end of the board. */
export async function insertColumn(tx: Queryable, projectId: string, input: CreateColumn): Promise<Column> {
  const kind = input.kind ?? "in_progress";
  const [column] = await tx<Column[]>`
    INSERT INTO columns (project_id, name, kind, done, wip_limit, position)
    SELECT ${projectId}, ${input.name}, ${kind}::column_kind, ${input.done ?? kind === "done"},
           ${input.wipLimit ?? null}::int, coalesce(max(position), 0) + ${POSITION_GAP}
    FROM columns WHERE project_id = ${projectId}
    RETURNING ${columnFields(tx)}`;
  if (!column) throw new Error("insert returned no row");
  return column;
}

/**
 * Writes `changes` over `current`. A changed kind changes its tasks' status (migration 0008's trigger);
 * a changed done flag sets or clears their completion time here. Returns the column and whether any
 * task changed.
 */
export async function updateColumn(
  tx: Queryable,
  current: Column,
  changes: UpdateColumn,
): Promise<{ column: Column; tasksChanged: boolean }> {
  const [column] = await tx<Column[]>`
    UPDATE columns SET
      name = ${changes.name ?? current.name},
      kind = ${changes.kind ?? current.kind}::column_kind,
      done = ${changes.done ?? current.done},
      wip_limit = ${changes.wipLimit === undefined ? current.wipLimit : changes.wipLimit}::int
    WHERE id = ${current.id}
    RETURNING ${columnFields(tx)}`;
  if (!column) throw new Error("update returned no row");
  let tasksChanged = false;
  if (column.kind !== current.kind || column.done !== current.done) {
    const changed = await tx`
      UPDATE tasks SET completed_at = CASE WHEN ${column.done} THEN coalesce(completed_at, now()) END,
        version = version + 1, updated_at = now()
      WHERE project_id = ${column.projectId} AND column_id = ${column.id}`;
    tasksChanged = changed.count > 0;
  }
  return { column, tasksChanged };
}

/** Puts the columns in `ids`' order (every column of the project), POSITION_GAP apart. */
export async function setColumnOrder(tx: Queryable, projectId: string, ids: string[]): Promise<Column[]> {
  await tx`
    UPDATE columns SET position = ordered.rank * ${POSITION_GAP}
    FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS ordered(id, rank)
    WHERE columns.project_id = ${projectId} AND columns.id = ordered.id`;
  return listColumns(tx, projectId);
}

/**
 * Moves every task of column `from` to the end of column `to` (keeping their order; status, completion
 * time and version follow), then deletes `from`. Returns the number of tasks moved.
 */
export async function deleteColumn(
  tx: Queryable,
  projectId: string,
  from: string,
  to?: string,
): Promise<number> {
  let moved = 0;
  if (to) {
    const result = await tx`
      WITH target AS (SELECT id, kind, done FROM columns WHERE project_id = ${projectId} AND id = ${to}),
           base AS (SELECT coalesce(max(position), 0) AS top FROM tasks WHERE project_id = ${projectId} AND column_id = ${to}),
           ordered AS (SELECT id, row_number() OVER (ORDER BY position, id) AS rank FROM tasks
                       WHERE project_id = ${projectId} AND column_id = ${from})
      UPDATE tasks SET column_id = target.id, status = target.kind::text::task_status,
        completed_at = CASE WHEN target.done THEN coalesce(tasks.completed_at, now()) END,
        position = base.top + ordered.rank * ${POSITION_GAP}, version = version + 1, updated_at = now()
      FROM target, base, ordered WHERE tasks.id = ordered.id`;
    moved = result.count;
  }
  await tx`DELETE FROM columns WHERE project_id = ${projectId} AND id = ${from}`;
  return moved;
}
