// POST /api/imports/trello?dryRun=true|false: a Trello board export into a new project. The body is
// the file itself (read by upload.ts, not by the JSON body middleware: its own limits and messages).
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import { validate } from "../http/validate.ts";
import { TRELLO_LIMITS, trelloImportQuery } from "./limits.ts";
import type { TrelloImportService } from "./service.ts";
import { readTrelloFile } from "./upload.ts";

export const TRELLO_IMPORT_PATH = "/api/imports/trello";
const RESULTS = ["preview", "created", "refused", "failed"] as const;

export function trelloRoutes(deps: Deps, publish: Publish) {
  const { metrics } = deps;
  // The import (the board's schema, the mapping, the export schema it writes through) is loaded with
  // the first file: held from the start, it was ~2.5 MB of every idle replica's RSS.
  let service: Promise<TrelloImportService> | undefined;
  const importer = () =>
    (service ??= import("./service.ts").then((module) => module.createTrelloImportService(deps, publish)));
  // Every result's series from the start, at 0.
  for (const result of RESULTS) metrics.imports.inc({ source: "trello", result }, 0);
  const counted = (result: (typeof RESULTS)[number]) => metrics.imports.inc({ source: "trello", result });

  // A 13 MB export at the card limit costs about 200 MB while it is read and mapped: a replica runs
  // TRELLO_LIMITS.concurrent at a time, and asks the others to come back.
  let running = 0;
  return new Hono<AppEnv>().post("/imports/trello", validate("query", trelloImportQuery), async (c) => {
    const { dryRun } = c.req.valid("query");
    if (running >= TRELLO_LIMITS.concurrent) {
      counted("refused");
      throw new ApiError(
        429,
        "imports_busy",
        "Other imports are running right now. Try again in a minute.",
        undefined,
        { "Retry-After": "30" },
      );
    }
    running += 1;
    try {
      const file = await readTrelloFile(c);
      const result = await (await importer()).import(c.get("user").id, file, dryRun);
      counted(dryRun ? "preview" : "created");
      return c.json(result, dryRun ? 200 : 201);
    } catch (error) {
      counted(error instanceof ApiError && error.status < 500 ? "refused" : "failed");
      throw error;
    } finally {
      running -= 1;
    }
  });
}
