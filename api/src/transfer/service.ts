// Export and import use cases. An import is one transaction, opened here; a dry run or a refusal
// rolls it back. Events go out after the commit. An archive import (archive.ts) first streams the
// files to the attachment store under the ids they will have, then writes every row in that one
// transaction; when anything fails, the files it stored are removed: all or nothing.
import { sanitizeName, sniffImageType } from "../attachments/files.ts";
import { lockProjectForQuota, projectUsage } from "../attachments/repository.ts";
import { BlobTooLargeError, type StoredBlob } from "../attachments/storage.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError } from "../http/errors.ts";
import { type ArchiveEntry, brokenArchive, entryAttachmentId, packArchive } from "./archive.ts";
import type { ImportMode } from "./query.ts";
import { exportProjects, type ImportOutcome, type WrittenProject, writeImport } from "./repository.ts";
import type { ExportDocument } from "./schemas.ts";

/** A file the archive's JSON lists, and where its bytes go. */
interface PlannedFile {
  project: number;
  task: number;
  /** The attachment's id here: the file's own (restore, when free) or a new one. */
  id: string;
  size: number;
  name: string;
  uploaderEmail: string | null;
  createdAt: string;
  /** Restore: the attachment is already there, with its bytes; the entry is read past. */
  kept: boolean;
  /** A key of its own even when the id is kept: a deleted attachment's removal job may still be queued for the old one. */
  storageKey: string;
  stored?: StoredBlob;
}

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

/** Thrown inside the import transaction to roll it back (dry run, refusal) with what it found. */
class Rollback extends Error {
  constructor(readonly outcome: ImportOutcome) {
    super("import rolled back");
  }
}

export function createTransferService(deps: Deps, publish: Publish) {
  const { sql, metrics, blobs } = deps;

  /** Imports in one transaction; a dry run does all of it, reports, and rolls back. */
  const runImport = async (
    userId: string,
    document: ExportDocument,
    options: { mode: ImportMode; dryRun: boolean },
    archive?: {
      projectIds: string[];
      /** Writes the archive's attachment rows in the import's transaction. */
      attach(tx: Queryable, written: WrittenProject[]): Promise<void>;
    },
  ): Promise<ImportOutcome> => {
    try {
      return await sql.begin(async (tx) => {
        const outcome = await writeImport(tx, userId, document, options.mode, archive?.projectIds);
        if (outcome.kind !== "ok" || options.dryRun) throw new Rollback(outcome);
        await archive?.attach(tx, outcome.written);
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
      return { ...outcome, result: { ...outcome.result, dryRun: true, projects } };
    }
  };

  const limits = deps.config.attachments;
  const tooLarge = () =>
    new ApiError(
      413,
      "payload_too_large",
      `a file in the archive is larger than ${mib(limits.maxBytes)}, the most an attachment may be`,
      { maxBytes: limits.maxBytes },
    );
  const quotaExceeded = (name: string, bytes: number) =>
    new ApiError(
      413,
      "quota_exceeded",
      `“${name}” would hold ${mib(bytes)} of attachments, over a project's quota of ${mib(limits.projectQuotaBytes)}`,
      { quotaBytes: limits.projectQuotaBytes, bytes },
    );

  /**
   * What the JSON lists and where each file goes, with the sizes checked against the limits before a
   * byte of them is read. A restore keeps a listed attachment that its project still has (and its
   * bytes), and reuses a listed id no other attachment has.
   */
  const planFiles = async (document: ExportDocument, mode: ImportMode, projectIds: string[]) => {
    const listed = document.projects.flatMap((project, p) =>
      project.tasks.flatMap((task, t) =>
        (task.attachments ?? []).map((file) => ({ ...file, project: p, task: t })),
      ),
    );
    const ids = listed.map((file) => file.id);
    const homes = await sql<{ id: string; projectId: string }[]>`
      SELECT id, project_id FROM attachments WHERE id = ANY(${ids}::uuid[])`;
    const homeOf = new Map(homes.map((home) => [home.id, home.projectId]));
    const plan = new Map<string, PlannedFile>();
    const added = new Map<number, number>();
    for (const file of listed) {
      if (plan.has(file.id)) throw brokenArchive(`its list of files names attachment ${file.id} twice`);
      if (file.size > limits.maxBytes) throw tooLarge();
      // Cleaned as an upload's name is: the file's word is a client's.
      const name = sanitizeName(file.name);
      if (!name) throw brokenArchive(`the name of attachment ${file.id} has no usable characters`);
      const home = homeOf.get(file.id);
      const kept = mode === "restore" && home === projectIds[file.project];
      if (!kept) added.set(file.project, (added.get(file.project) ?? 0) + file.size);
      plan.set(file.id, {
        project: file.project,
        task: file.task,
        id: mode === "restore" && home === undefined ? file.id : crypto.randomUUID(),
        size: file.size,
        name,
        uploaderEmail: file.uploaderEmail,
        createdAt: file.createdAt,
        kept,
        storageKey: `${projectIds[file.project]}/${crypto.randomUUID()}`,
      });
    }
    for (const [p, bytes] of added) {
      // A copy's projects are new: nothing in use yet.
      const used = mode === "restore" ? await projectUsage(sql, projectIds[p] as string) : 0;
      const project = document.projects[p];
      if (used + bytes > limits.projectQuotaBytes) throw quotaExceeded(project?.name ?? "", used + bytes);
    }
    return plan;
  };

  /** Streams each entry to storage (or past it), checked against the plan; `stored` gets each key written. */
  const storeEntries = async (
    entries: AsyncGenerator<ArchiveEntry>,
    plan: Map<string, PlannedFile>,
    stored: string[],
  ) => {
    const seen = new Set<string>();
    for await (const entry of entries) {
      const listedId = entryAttachmentId(entry.name);
      const file = listedId ? plan.get(listedId) : undefined;
      const shown = JSON.stringify(entry.name.slice(0, 200));
      if (!listedId || !file) throw brokenArchive(`it holds ${shown}, which its list of files does not name`);
      if (seen.has(listedId)) throw brokenArchive(`it holds ${shown} twice`);
      seen.add(listedId);
      if (entry.type !== "file") throw brokenArchive(`${shown} is not a plain file`);
      if (entry.size !== file.size) {
        if (entry.size > limits.maxBytes) throw tooLarge();
        throw brokenArchive(`${shown} has ${entry.size} bytes where its list says ${file.size}`);
      }
      if (file.kept) {
        await entry.skip();
        continue;
      }
      stored.push(file.storageKey);
      try {
        file.stored = await blobs.put(file.storageKey, entry.body, file.size);
      } catch (error) {
        // A 4xx of the archive's (archive.ts) passes as it is; a storage failure is a 500.
        throw error instanceof BlobTooLargeError ? tooLarge() : error;
      }
    }
    const missing = [...plan.keys()].find((id) => !seen.has(id));
    if (missing) throw brokenArchive(`its list names attachment ${missing}, whose file is not in it`);
  };

  /** The attachment rows of the files, after the import wrote the projects and tasks; quotas rechecked. */
  const attachRows = async (
    tx: Queryable,
    document: ExportDocument,
    plan: Map<string, PlannedFile>,
    written: WrittenProject[],
  ) => {
    const rows = [...plan.values()]
      .filter((file) => !file.kept)
      .map((file) => {
        const project = written[file.project] as WrittenProject;
        return {
          id: file.id,
          projectId: project.projectId,
          taskId: project.taskIds[file.task] as string,
          uploaderId: file.uploaderEmail
            ? (project.memberByEmail.get(file.uploaderEmail.toLowerCase()) ?? null)
            : null,
          name: file.name,
          size: file.size,
          // From the bytes, as for an upload: never the file's word for it.
          imageType: sniffImageType(file.stored?.head ?? new Uint8Array()),
          storageKey: file.storageKey,
          createdAt: file.createdAt,
        };
      });
    for (let start = 0; start < rows.length; start += 5000) {
      await tx`INSERT INTO attachments ${tx(rows.slice(start, start + 5000))}`;
    }
    for (const [p, project] of written.entries()) {
      if (!rows.some((row) => row.projectId === project.projectId)) continue;
      await lockProjectForQuota(tx, project.projectId);
      const used = await projectUsage(tx, project.projectId);
      if (used > limits.projectQuotaBytes) throw quotaExceeded(document.projects[p]?.name ?? "", used);
    }
  };

  /** After the commit: a created project is announced, a restored one's members refetch it. */
  const announce = async (userId: string, outcome: ImportOutcome & { kind: "ok" }) => {
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
  };

  return {
    export: (userId: string) => timed(metrics, "transfer.export", () => exportProjects(sql, userId)),

    /** The export with every attachment's bytes, as a tar stream (archive.ts). */
    async exportArchive(userId: string) {
      const listed = (document: ExportDocument) =>
        document.projects.flatMap((project) =>
          project.tasks.flatMap((task) => (task.attachments ?? []).map((file) => file.id)),
        );
      const { document, keys } = await timed(metrics, "transfer.export", async () => {
        const document = await exportProjects(sql, userId);
        const keys = await sql<{ id: string; storageKey: string; size: number }[]>`
          SELECT id, storage_key, size::float8 AS size FROM attachments WHERE id = ANY(${listed(document)}::uuid[])`;
        return { document, keys };
      });
      const ids = listed(document);
      const keyOf = new Map(keys.map((row) => [row.id, row]));
      // An attachment deleted between the two reads is left out of the archive and its list alike.
      for (const project of document.projects) {
        for (const task of project.tasks) {
          if (!task.attachments) continue;
          task.attachments = task.attachments.filter((file) => keyOf.has(file.id));
          if (task.attachments.length === 0) delete task.attachments;
        }
      }
      const files = ids.flatMap((id) => {
        const row = keyOf.get(id);
        return row ? [{ id, size: row.size, open: () => blobs.get(row.storageKey) }] : [];
      });
      return {
        document,
        body: packArchive(JSON.stringify(document), files, new Date(document.exportedAt), (error) =>
          deps.log.warn("export archive broken off", { userId, reason: error.message }),
        ),
      };
    },

    /**
     * Imports an archive: the JSON (already read and checked by the caller), then the files from
     * `entries`. Anything wrong refuses the whole import, and the files stored so far are removed.
     */
    async importArchive(
      userId: string,
      document: ExportDocument,
      entries: AsyncGenerator<ArchiveEntry>,
      mode: ImportMode,
    ): Promise<ImportOutcome> {
      const projectIds = document.projects.map((project) =>
        mode === "restore" && project.id ? project.id : crypto.randomUUID(),
      );
      const stored: string[] = [];
      const removeStored = async () => {
        for (const key of stored) {
          await blobs.remove(key).catch((cause: Error) =>
            deps.log.warn("imported attachment bytes not removed", {
              storageKey: key,
              reason: cause.message,
            }),
          );
        }
      };
      let outcome: ImportOutcome;
      try {
        // Timed: the database's part only, not the upload's.
        const plan = await timed(metrics, "transfer.import_archive_plan", () =>
          planFiles(document, mode, projectIds),
        );
        await storeEntries(entries, plan, stored);
        outcome = await timed(metrics, "transfer.import", () =>
          runImport(
            userId,
            document,
            { mode, dryRun: false },
            { projectIds, attach: (tx, written) => attachRows(tx, document, plan, written) },
          ),
        );
      } catch (error) {
        await removeStored();
        throw error;
      } finally {
        await entries.return(undefined);
      }
      if (outcome.kind !== "ok") {
        await removeStored();
        return outcome;
      }
      await announce(userId, outcome);
      return outcome;
    },

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
      await announce(userId, outcome);
      return outcome;
    },
  };
}
