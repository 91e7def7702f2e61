// The import routes' query: checked before the transfer's own code (the export schema, the archive
// reader, the service: loaded with the first export or import, routes.ts) is there.
import { z } from "zod";
import { queryFlag } from "../http/query-flag.ts";

export const IMPORT_MODES = ["copy", "restore"] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export const importQuery = z.strictObject({
  mode: z.enum(IMPORT_MODES).default("copy"),
  dryRun: queryFlag(),
});

/** An archive import is never a dry run: a preview sends the archive's JSON to /api/import. */
export const archiveImportQuery = importQuery.pick({ mode: true });
