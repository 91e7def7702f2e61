// GET /api/export and POST /api/import: a lossless JSON round trip of the caller's projects.
// Use cases: service.ts.
import { Hono } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import { placeOf } from "../http/place.ts";
import { issuesToDetails, validate } from "../http/validate.ts";
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  importQuery,
  MAX_REPORTED_ISSUES,
  parseExportDocument,
} from "./schemas.ts";
import { createTransferService } from "./service.ts";

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

export function transferRoutes(deps: Deps, publish: Publish) {
  const transfer = createTransferService(deps, publish);
  return new Hono<AppEnv>()
    .get("/export", async (c) => {
      const document = await transfer.export(c.get("user").id);
      c.header(
        "Content-Disposition",
        `attachment; filename="taskplatform-export-${document.exportedAt.slice(0, 10)}.json"`,
      );
      return c.json(document);
    })
    .post(
      "/import",
      validate("query", importQuery),
      validator("json", (value) => {
        const parsed = parseExportDocument(value);
        if (!parsed.success) throw importProblem(value, parsed.issues);
        return parsed.data;
      }),
      async (c) => {
        const { mode, dryRun } = c.req.valid("query");
        const document = c.req.valid("json");
        const outcome = await transfer.import(c.get("user").id, document, { mode, dryRun });
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
        return c.json(outcome.result, dryRun ? 200 : 201);
      },
    );
}
