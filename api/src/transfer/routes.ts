// GET /api/export and POST /api/import: a lossless JSON round trip of the caller's projects.
// GET /api/export/archive and POST /api/import/archive: the same with the attachments' bytes, as a tar
// (archive.ts) streamed both ways; the upload's body is the archive itself. Answers: handlers.ts.
import { Hono } from "hono";
import { validator } from "hono/validator";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import type { TransferHandlers } from "./handlers.ts";
import { archiveImportQuery, importQuery } from "./query.ts";

/** The archive upload, whose body is a tar (not JSON): app.ts lets it through the JSON body check. */
export const ARCHIVE_IMPORT_PATH = "/api/import/archive";

export function transferRoutes(deps: Deps, publish: Publish) {
  // The handlers (the export schema, the archive reader with tar-stream, the service) are loaded with
  // the first export or import: held from the start, they were ~0.7 MB of every idle replica's RSS.
  let loaded: Promise<TransferHandlers> | undefined;
  const handlers = () =>
    (loaded ??= import("./handlers.ts").then((module) => module.transferHandlers(deps, publish)));
  return new Hono<AppEnv>()
    .get("/export/archive", async (c) => (await handlers()).exportArchive(c))
    .post("/import/archive", validate("query", archiveImportQuery), async (c) =>
      (await handlers()).importArchive(c, c.req.valid("query").mode),
    )
    .get("/export", async (c) => (await handlers()).export(c))
    .post(
      "/import",
      validate("query", importQuery),
      validator("json", async (value) => (await handlers()).checkedDocument(value)),
      async (c) => (await handlers()).import(c, c.req.valid("json"), c.req.valid("query")),
    );
}
