// The transfer routes' handlers (routes.ts loads them with the first export or import): the answers
// and refusals in sentences; the use cases are service.ts.
import type { Context } from "hono";
import type { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { decodeJson, readLimited } from "../http/body.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import { placeOf } from "../http/place.ts";
import { issuesToDetails } from "../http/validate.ts";
import {
  ARCHIVE_DOCUMENT,
  ARCHIVE_DOCUMENT_MAX_BYTES,
  ARCHIVE_TYPE,
  brokenArchive,
  readArchive,
} from "./archive.ts";
import type { ImportMode } from "./query.ts";
import type { ImportOutcome } from "./repository.ts";
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportDocument,
  MAX_REPORTED_ISSUES,
  parseExportDocument,
} from "./schemas.ts";
import { createTransferService } from "./service.ts";

/** How large an archive may be: its JSON, one project's quota of files, and room for the tar headers. */
export const maxArchiveBytes = (projectQuotaBytes: number) =>
  ARCHIVE_DOCUMENT_MAX_BYTES + projectQuotaBytes + 16 * 1024 * 1024;

const NOT_AN_EXPORT =
  "This file is not a TaskPlatform export. Choose a file made with “Export data” on the Account & data page.";

/** The collections of an export, as a place names them. */
const NOUNS = { projects: "Project", tasks: "task", members: "member" };

/** A wrong file or field, said in a sentence; every problem stays in `details`. */
function importProblem(document: unknown, issues: readonly z.core.$ZodIssue[]): ApiError {
  const details = issuesToDetails(issues);
  const header = (document ?? {}) as { format?: unknown; version?: unknown };
  if (typeof document !== "object" || Array.isArray(document) || header.format !== EXPORT_FORMAT) {
    return new ApiError(422, "not_an_export", NOT_AN_EXPORT, details);
  }
  if (typeof header.version === "number" && header.version > EXPORT_VERSION) {
    return new ApiError(
      422,
      "unsupported_version",
      `This export was made by a newer TaskPlatform (format version ${header.version}); this server reads versions 1 to ${EXPORT_VERSION}. Update TaskPlatform, then import it again.`,
      details,
    );
  }
  const [first] = issues;
  const { place, field } = placeOf(document, first?.path ?? [], NOUNS);
  const problem = first?.message.replace(/\.$/, "") ?? "invalid";
  // Our own messages read on from the field's name ("is required"); zod's stand on their own.
  const what = field
    ? /^[a-z]/.test(problem)
      ? `“${field}” ${problem}`
      : `“${field}”: ${problem}`
    : problem;
  const others = issues.length - 1;
  const more =
    issues.length >= MAX_REPORTED_ISSUES
      ? ` (and more problems; the first ${MAX_REPORTED_ISSUES} are listed in details)`
      : others > 0
        ? ` (and ${others} more problem${others > 1 ? "s" : ""}, listed in details)`
        : "";
  return new ApiError(
    422,
    "invalid_export",
    `This export cannot be imported: ${place ? `${place}: ` : ""}${what}${more}.`,
    details,
  );
}

/** An import's file as an export document, or a 422 saying what is wrong with it. */
function checkedDocument(value: unknown): ExportDocument {
  const parsed = parseExportDocument(value);
  if (!parsed.success) throw importProblem(value, parsed.issues);
  return parsed.data;
}

/** Refusals of an import as a 4xx, or its result. */
function importAnswer(outcome: ImportOutcome, document: ExportDocument) {
  if (outcome.kind === "missing_id") {
    const name = document.projects[outcome.index]?.name;
    throw new ApiError(
      422,
      "not_restorable",
      `“${name}” cannot be restored: this file was exported before restoring was possible and has no project ids. Import it as a copy instead.`,
    );
  }
  if (outcome.kind === "not_owner") {
    const name = document.projects[outcome.index]?.name;
    throw new ApiError(
      403,
      "not_owner",
      `“${name}” cannot be restored: it exists and you are not one of its owners. Import the file as a copy instead.`,
    );
  }
  return outcome.result;
}

type Ctx = Context<AppEnv>;

export type TransferHandlers = ReturnType<typeof transferHandlers>;

export function transferHandlers(deps: Deps, publish: Publish) {
  const transfer = createTransferService(deps, publish);
  const maxBytes = maxArchiveBytes(deps.config.attachments.projectQuotaBytes);
  const archiveTooLarge = () =>
    new ApiError(
      413,
      "payload_too_large",
      `an archive may be at most ${Math.round(maxBytes / 1024 / 1024)} MB (its JSON and one project's quota of files)`,
      { maxBytes },
    );
  return {
    async exportArchive(c: Ctx) {
      const { document, body } = await transfer.exportArchive(c.get("user").id);
      return new Response(body, {
        headers: {
          "Content-Type": ARCHIVE_TYPE,
          "Content-Disposition": `attachment; filename="taskplatform-export-${document.exportedAt.slice(0, 10)}.tar"`,
        },
      });
    },
    async importArchive(c: Ctx, mode: ImportMode) {
      const declared = c.req.header("content-length");
      if (declared && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw archiveTooLarge();
      const body = c.req.raw.body;
      if (!body) throw brokenArchive("it is empty");
      const entries = readArchive(body, maxBytes, archiveTooLarge);
      let document: ExportDocument;
      try {
        const first = await entries.next();
        if (first.done) throw brokenArchive("it is empty");
        const entry = first.value;
        if (entry.name !== ARCHIVE_DOCUMENT || entry.type !== "file") {
          throw brokenArchive(`its first entry must be ${ARCHIVE_DOCUMENT}`);
        }
        if (entry.size > ARCHIVE_DOCUMENT_MAX_BYTES) {
          throw new ApiError(
            413,
            "payload_too_large",
            `${ARCHIVE_DOCUMENT} in an archive may be at most ${ARCHIVE_DOCUMENT_MAX_BYTES / 1024 / 1024} MB, as a JSON import`,
          );
        }
        const { value } = decodeJson(await readLimited(entry.body, ARCHIVE_DOCUMENT_MAX_BYTES));
        document = checkedDocument(value);
      } catch (error) {
        await entries.return(undefined);
        throw error;
      }
      const outcome = await transfer.importArchive(c.get("user").id, document, entries, mode);
      return c.json(importAnswer(outcome, document), 201);
    },
    async export(c: Ctx) {
      const document = await transfer.export(c.get("user").id);
      c.header(
        "Content-Disposition",
        `attachment; filename="taskplatform-export-${document.exportedAt.slice(0, 10)}.json"`,
      );
      return c.json(document);
    },
    checkedDocument,
    async import(c: Ctx, document: ExportDocument, options: { mode: ImportMode; dryRun: boolean }) {
      const outcome = await transfer.import(c.get("user").id, document, options);
      return c.json(importAnswer(outcome, document), options.dryRun ? 200 : 201);
    },
  };
}
