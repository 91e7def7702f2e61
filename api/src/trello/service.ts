// The import use case: map the board (mapping.ts), then write it as a copy-import of one project
// (transfer/repository.ts writeImport: the same inserts as every import) with its history, in one
// transaction. A dry run maps only: the preview is what the mapping says will be written.
import { type NewActivity, recordActivity } from "../activity/repository.ts";
import { findUserById } from "../auth/users.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { notFound } from "../http/errors.ts";
import { writeImport } from "../transfer/repository.ts";
import { EXPORT_FORMAT, EXPORT_VERSION, exportDocument } from "../transfer/schemas.ts";
import { mapBoard } from "./mapping.ts";
import type { TrelloBoard, TrelloImportResult } from "./schemas.ts";

/** The new project's tasks, for their history entries. */
const importedTasks = (tx: Queryable, projectId: string) =>
  tx<
    {
      id: string;
      title: string;
      status: string;
      columnId: string;
      columnName: string;
      archivedAt: Date | null;
    }[]
  >`
    SELECT t.id, t.title, t.status, t.column_id, c.name AS column_name, t.archived_at
    FROM tasks t JOIN columns c ON c.id = t.column_id WHERE t.project_id = ${projectId}
    ORDER BY c.position, t.position`;

export function createTrelloImportService(deps: Deps, publish: Publish) {
  const { sql, metrics } = deps;
  return {
    async import(userId: string, board: TrelloBoard, dryRun: boolean): Promise<TrelloImportResult> {
      const user = await findUserById(sql, userId);
      if (!user) throw notFound("user");
      const now = new Date();
      const { project, preview } = mapBoard(board, user.email, now);
      if (dryRun) return { dryRun: true, ...preview };
      // The mapping's output meets the export schema by construction; parsing applies its trims.
      const document = exportDocument.parse({
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        exportedAt: now.toISOString(),
        projects: [project],
      });
      const created = await timed(metrics, "trello.import", () =>
        sql.begin(async (tx) => {
          const outcome = await writeImport(tx, userId, document, "copy");
          const projectId = outcome.kind === "ok" ? outcome.result.projects[0]?.id : undefined;
          if (!projectId) throw new Error("a copy import made no project");
          const tasks = await importedTasks(tx, projectId);
          const entries: NewActivity[] = [
            {
              projectId,
              taskId: null,
              actorId: userId,
              kind: "project.imported",
              data: { source: "trello", board: board.name, tasks: tasks.length },
            },
          ];
          for (const task of tasks) {
            entries.push({
              projectId,
              taskId: task.id,
              actorId: userId,
              kind: "task.created",
              data: {
                title: task.title,
                status: task.status,
                column: { id: task.columnId, name: task.columnName },
                source: "trello",
              },
            });
            if (task.archivedAt) {
              entries.push({
                projectId,
                taskId: task.id,
                actorId: userId,
                kind: "task.archived",
                data: { title: task.title },
              });
            }
          }
          await recordActivity(tx, entries);
          return projectId;
        }),
      );
      await publish({
        type: "project.created",
        projectId: created,
        actorId: userId,
        project: { id: created, name: preview.project.name },
      });
      return { dryRun: false, ...preview, project: { ...preview.project, id: created } };
    },
  };
}
