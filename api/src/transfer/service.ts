// Export and import use cases. An import is one transaction, opened here; a dry run or a refusal
// rolls it back. Events go out after the commit.
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { exportProjects, type ImportOutcome, writeImport } from "./repository.ts";
import type { ExportDocument, ImportMode } from "./schemas.ts";

/** Thrown inside the import transaction to roll it back (dry run, refusal) with what it found. */
class Rollback extends Error {
  constructor(readonly outcome: ImportOutcome) {
    super("import rolled back");
  }
}

export function createTransferService(deps: Deps, publish: Publish) {
  const { sql, metrics } = deps;

  /** Imports in one transaction; a dry run does all of it, reports, and rolls back. */
  const runImport = async (
    userId: string,
    document: ExportDocument,
    options: { mode: ImportMode; dryRun: boolean },
  ): Promise<ImportOutcome> => {
    try {
      return await sql.begin(async (tx) => {
        const outcome = await writeImport(tx, userId, document, options.mode);
        if (outcome.kind !== "ok" || options.dryRun) throw new Rollback(outcome);
        return outcome;
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      const { outcome } = error;
      if (outcome.kind !== "ok") return outcome;
      // A copy's new projects have no id until it is really made.
      const projects = outcome.result.projects.map((project) =>
        options.mode === "copy" ? { ...project, id: null } : project,
      );
      return { kind: "ok", result: { ...outcome.result, dryRun: true, projects } };
    }
  };

  return {
    export: (userId: string) => timed(metrics, "transfer.export", () => exportProjects(sql, userId)),

    async import(
      userId: string,
      document: ExportDocument,
      options: { mode: ImportMode; dryRun: boolean },
    ): Promise<ImportOutcome> {
      const outcome = await timed(
        metrics,
        options.dryRun ? "transfer.import_preview" : "transfer.import",
        () => runImport(userId, document, options),
      );
      if (outcome.kind !== "ok" || options.dryRun) return outcome;
      for (const project of outcome.result.projects) {
        if (project.id === null) continue;
        if (project.action === "created") {
          const created = { id: project.id, name: project.name };
          await publish({
            type: "project.created",
            projectId: project.id,
            actorId: userId,
            project: created,
          });
        } else {
          // Name and tasks may all have changed: members' clients refetch the project.
          await publish({ type: "resync", projectId: project.id, actorId: userId });
        }
      }
      return outcome;
    },
  };
}
