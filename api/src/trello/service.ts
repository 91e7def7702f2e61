// The import use case: map the board (mapping.ts), then write it as a copy-import of one project
// (transfer/repository.ts writeImport: the same inserts as every import) with its history, in one
// transaction. A dry run maps only: the preview is what the mapping says will be written.
import { type NewActivity, recordActivity } from "../activity/repository.ts";
import { findUserById } from "../auth/users.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { placeOf } from "../http/place.ts";
import { issuesToDetails } from "../http/validate.ts";
import { writeImport } from "../transfer/repository.ts";
import { EXPORT_FORMAT, EXPORT_VERSION, exportDocument } from "../transfer/schemas.ts";
import { TRELLO_LIMITS } from "./limits.ts";
import { mapBoard, TooManyColumns } from "./mapping.ts";
import { type TrelloBoard, type TrelloImportResult, trelloBoard } from "./schemas.ts";
import { notTrello, TRELLO_NOUNS } from "./upload.ts";

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

const count = (n: number) => n.toLocaleString("en-US");

/** The board in the file, or a 422 saying in a sentence why the file is not one we can import. */
function checkBoard(file: unknown): TrelloBoard {
  if (file === null || typeof file !== "object" || Array.isArray(file)) {
    throw notTrello("This file is JSON, but not a Trello board export.");
  }
  const shell = file as Record<string, unknown>;
  if (shell.format === EXPORT_FORMAT) {
    throw new ApiError(
      422,
      "taskplatform_export",
      "This is a TaskPlatform export, not a Trello one: import it on the Account & data page instead.",
    );
  }
  if (!Array.isArray(shell.lists) || !Array.isArray(shell.cards)) {
    throw notTrello("This file is JSON, but not a Trello board export: it has no lists and cards.");
  }
  if (shell.cards.length > TRELLO_LIMITS.cards) {
    throw new ApiError(
      422,
      "too_many_cards",
      `This board has ${count(shell.cards.length)} cards (archived ones included); an import takes at most ${count(TRELLO_LIMITS.cards)}. Delete the archived cards you no longer need in Trello and export the board again.`,
    );
  }
  const parsed = trelloBoard.safeParse(file);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 50);
  const [first] = issues;
  const { place, field } = placeOf(file, first?.path ?? [], TRELLO_NOUNS);
  const what = `${field ? `“${field}” ` : ""}${first?.message.replace(/\.$/, "") ?? "is not valid"}`;
  throw new ApiError(
    422,
    "invalid_trello_export",
    `This Trello export cannot be imported: ${place ? `${place}: ` : ""}${what}.`,
    issuesToDetails(issues),
  );
}

/** mapBoard, with a board of too many lists refused in a sentence. */
function mapped(board: TrelloBoard, email: string, now: Date): ReturnType<typeof mapBoard> {
  try {
    return mapBoard(board, email, now);
  } catch (error) {
    if (!(error instanceof TooManyColumns)) throw error;
    throw new ApiError(
      422,
      "too_many_lists",
      `This board has ${count(error.lists)} open lists; a project has at most 50 columns (one of each kind included). Archive some lists in Trello and export the board again.`,
    );
  }
}

export type TrelloImportService = ReturnType<typeof createTrelloImportService>;

export function createTrelloImportService(deps: Deps, publish: Publish) {
  const { sql, metrics } = deps;
  return {
    /** The file as upload.ts read it: checked (a 422 saying why it is not a board we can import), then imported. */
    async import(userId: string, file: unknown, dryRun: boolean): Promise<TrelloImportResult> {
      const board = checkBoard(file);
      const user = await findUserById(sql, userId);
      if (!user) throw notFound("user");
      const now = new Date();
      const { project, preview } = mapped(board, user.email, now);
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
