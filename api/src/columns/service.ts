// Column use cases: owners add, change, reorder and delete a project's columns (409 project_archived
// while the project is archived); members read them and the board (archived tasks left out). Each write runs in one transaction with the project row locked (writers of the project's
// tasks and columns queue), and publishes its events after the commit.
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { requireRole, requireWritable } from "../projects/access.ts";
import { lockProject } from "../tasks/repository.ts";
import * as columns from "./repository.ts";
import { type Column, type CreateColumn, MAX_COLUMNS, type UpdateColumn } from "./schemas.ts";

const invalid = (path: string, message: string) =>
  new ApiError(422, "validation_failed", "invalid input", [{ path, message, code: "custom" }]);

/** status → column maps each status to the first column of its kind: every kind keeps a column. */
const lastOfKind = (column: Column) =>
  new ApiError(
    409,
    "last_column_of_kind",
    `“${column.name}” is the project's only ${column.kind.replace("_", " ")} column; add another one first`,
  );

export function createColumnService(deps: Deps, publish: Publish) {
  const { sql, metrics } = deps;

  const lockedColumn = async (
    tx: Parameters<typeof columns.lockColumn>[0],
    projectId: string,
    id: string,
  ) => {
    await lockProject(tx, projectId);
    const column = await columns.lockColumn(tx, projectId, id);
    if (!column) throw notFound("column");
    return column;
  };

  return {
    async list(userId: string, projectId: string) {
      await requireRole(sql, projectId, userId, "viewer");
      return timed(metrics, "columns.list", () => columns.listColumns(sql, projectId));
    },

    /** The project's columns and all its tasks as JSON: two queries, whatever the board's size. */
    async board(userId: string, projectId: string): Promise<string> {
      await requireRole(sql, projectId, userId, "viewer");
      return timed(metrics, "columns.board", () => columns.boardJson(sql, projectId));
    },

    async create(userId: string, projectId: string, input: CreateColumn) {
      await requireWritable(sql, projectId, userId, "owner");
      const column = await timed(metrics, "columns.create", () =>
        sql.begin(async (tx) => {
          await lockProject(tx, projectId);
          if ((await columns.countColumns(tx, projectId)) >= MAX_COLUMNS) {
            throw new ApiError(422, "too_many_columns", `a project has at most ${MAX_COLUMNS} columns`);
          }
          return columns.insertColumn(tx, projectId, input);
        }),
      );
      await publish({ type: "column.created", projectId, actorId: userId, column });
      return column;
    },

    async update(userId: string, projectId: string, columnId: string, changes: UpdateColumn) {
      await requireWritable(sql, projectId, userId, "owner");
      const { column, tasksChanged } = await timed(metrics, "columns.update", () =>
        sql.begin(async (tx) => {
          const current = await lockedColumn(tx, projectId, columnId);
          if (changes.kind && changes.kind !== current.kind && current.sameKind <= 1)
            throw lastOfKind(current);
          return columns.updateColumn(tx, current, changes);
        }),
      );
      await publish({ type: "column.updated", projectId, actorId: userId, column });
      // Its tasks' status or completion time changed: boards refetch.
      if (tasksChanged)
        await publish({ type: "resync", projectId, actorId: userId, reason: "column changed" });
      return column;
    },

    /** Moves the column to `index` (0-based) in the board's order; answers every column, in order. */
    async move(userId: string, projectId: string, columnId: string, index: number) {
      await requireWritable(sql, projectId, userId, "owner");
      const all = await timed(metrics, "columns.move", () =>
        sql.begin(async (tx) => {
          await lockedColumn(tx, projectId, columnId);
          const ids = (await columns.listColumns(tx, projectId))
            .map((c) => c.id)
            .filter((id) => id !== columnId);
          ids.splice(Math.min(index, ids.length), 0, columnId);
          return columns.setColumnOrder(tx, projectId, ids);
        }),
      );
      await publish({ type: "column.reordered", projectId, actorId: userId, columns: all });
      return all;
    },

    /**
     * Deletes a column; its tasks go to the end of column `moveTo` (required when it has any: 409
     * without). The project's last column of a kind stays (409).
     */
    async remove(userId: string, projectId: string, columnId: string, moveTo: string | undefined) {
      await requireWritable(sql, projectId, userId, "owner");
      const moved = await timed(metrics, "columns.delete", () =>
        sql.begin(async (tx) => {
          const current = await lockedColumn(tx, projectId, columnId);
          if (current.sameKind <= 1) throw lastOfKind(current);
          if (moveTo === columnId) throw invalid("moveTo", "must be another column than the one deleted");
          if (current.tasks > 0 && !moveTo) {
            throw new ApiError(
              409,
              "column_not_empty",
              `“${current.name}” has ${current.tasks} tasks; say which column they go to (moveTo)`,
              { tasks: current.tasks },
            );
          }
          if (moveTo && !(await columns.lockColumn(tx, projectId, moveTo))) {
            throw invalid("moveTo", "is not a column of the project");
          }
          return columns.deleteColumn(tx, projectId, columnId, moveTo);
        }),
      );
      await publish({
        type: "column.deleted",
        projectId,
        actorId: userId,
        column: { id: columnId, projectId },
        moveTo: moveTo ?? null,
      });
      // The moved tasks have new columns and positions: boards refetch.
      if (moved > 0) await publish({ type: "resync", projectId, actorId: userId, reason: "column deleted" });
    },
  };
}
