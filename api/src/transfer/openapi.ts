// The export and import routes as OpenAPI operations, from the schemas they validate with (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { exportDocument, importQuery, importResult } from "./schemas.ts";

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
];
