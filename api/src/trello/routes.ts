// POST /api/imports/trello?dryRun=true|false: a Trello board export into a new project. The body is
// the file itself (read by upload.ts, not by the JSON body middleware: its own limits and messages).
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import { placeOf } from "../http/place.ts";
import { issuesToDetails, validate } from "../http/validate.ts";
import { EXPORT_FORMAT } from "../transfer/schemas.ts";
import { TooManyColumns } from "./mapping.ts";
import { TRELLO_LIMITS, type TrelloBoard, trelloBoard, trelloImportQuery } from "./schemas.ts";
import { createTrelloImportService } from "./service.ts";
import { notTrello, readTrelloFile, TRELLO_NOUNS } from "./upload.ts";

export const TRELLO_IMPORT_PATH = "/api/imports/trello";
const RESULTS = ["preview", "created", "refused", "failed"] as const;
const count = (n: number) => n.toLocaleString("en-US");

/** The board in the file, or a 422 saying in a sentence why the file is not one we can import. */
export function checkBoard(file: unknown): TrelloBoard {
  if (file === null || typeof file !== "object" || Array.isArray(file)) {
    throw notTrello("This file is JSON, but not a Trello board export.");
  }
  const shell = file as Record<string, unknown>;
  if (shell.format === EXPORT_FORMAT) {
    throw new ApiError(
      422,
      "taskplatform_export",
      "This is a TaskPlatform export, not a Trello one: import it on the Account & data page instead.",
    );
  }
  if (!Array.isArray(shell.lists) || !Array.isArray(shell.cards)) {
    throw notTrello("This file is JSON, but not a Trello board export: it has no lists and cards.");
  }
  if (shell.cards.length > TRELLO_LIMITS.cards) {
    throw new ApiError(
      422,
      "too_many_cards",
      `This board has ${count(shell.cards.length)} cards (archived ones included); an import takes at most ${count(TRELLO_LIMITS.cards)}. Delete the archived cards you no longer need in Trello and export the board again.`,
    );
  }
  const parsed = trelloBoard.safeParse(file);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 50);
  const [first] = issues;
  const { place, field } = placeOf(file, first?.path ?? [], TRELLO_NOUNS);
  const what = `${field ? `“${field}” ` : ""}${first?.message.replace(/\.$/, "") ?? "is not valid"}`;
  throw new ApiError(
    422,
    "invalid_trello_export",
    `This Trello export cannot be imported: ${place ? `${place}: ` : ""}${what}.`,
    issuesToDetails(issues),
  );
}

export function trelloRoutes(deps: Deps, publish: Publish) {
  const { metrics } = deps;
  const service = createTrelloImportService(deps, publish);
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
      const board = checkBoard(await readTrelloFile(c));
      const result = await service.import(c.get("user").id, board, dryRun);
      counted(dryRun ? "preview" : "created");
      return c.json(result, dryRun ? 200 : 201);
    } catch (error) {
      if (error instanceof TooManyColumns) {
        counted("refused");
        throw new ApiError(
          422,
          "too_many_lists",
          `This board has ${count(error.lists)} open lists; a project has at most 50 columns (one of each kind included). Archive some lists in Trello and export the board again.`,
        );
      }
      counted(error instanceof ApiError && error.status < 500 ? "refused" : "failed");
      throw error;
    } finally {
      running -= 1;
    }
  });
}
