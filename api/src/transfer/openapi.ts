// The export and import routes as OpenAPI operations, from the schemas they validate with (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { ARCHIVE_TYPE } from "./archive.ts";
import { archiveImportQuery, importQuery } from "./query.ts";
import { exportDocument, importResult } from "./schemas.ts";

export const transferOperations: Operation[] = [
  {
    tag: "transfer",
    method: "get",
    path: "/api/export",
    summary: "Export my projects and tasks",
    auth: true,
    response: exportDocument,
  },
  {
    tag: "transfer",
    method: "post",
    path: "/api/import",
    summary: "Import an export document: as a copy, or restoring its projects in place; dryRun=true previews",
    auth: true,
    query: importQuery,
    body: exportDocument,
    response: importResult,
    status: 201,
  },
  {
    tag: "transfer",
    method: "get",
    path: "/api/export/archive",
    summary:
      "Export my projects with their attachments' bytes: a tar of export.json (as GET /api/export) and attachments/<id> per attachment it lists",
    auth: true,
    binaryResponse: true,
    binaryType: ARCHIVE_TYPE,
  },
  {
    tag: "transfer",
    method: "post",
    path: "/api/import/archive",
    summary:
      "Import such a tar (the request body): export.json first, then exactly the files it lists, each of its listed size; all or nothing. Over the size limits or a project's quota → 413, any other entry, a missing or twice-named file → 422",
    auth: true,
    query: archiveImportQuery,
    binaryBody: true,
    binaryType: ARCHIVE_TYPE,
    response: importResult,
    status: 201,
  },
];
