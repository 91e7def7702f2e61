// The Trello import as an OpenAPI operation (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { trelloImportQuery } from "./limits.ts";
import { trelloBoard, trelloImportResult } from "./schemas.ts";

export const trelloOperations: Operation[] = [
  {
    tag: "imports",
    method: "post",
    path: "/api/imports/trello",
    summary:
      "Import a Trello board export (the file of Trello's “Export as JSON”, at most 20 MB) into a new project owned by the caller; dryRun=true answers the preview and writes nothing (200)",
    auth: true,
    query: trelloImportQuery,
    body: trelloBoard,
    response: trelloImportResult,
    status: 201,
  },
];
