// What the import route checks before the import's own code (the board's schema, the mapping, the
// service: loaded with the first file, routes.ts) is there: the limits and the query.
import { z } from "zod";
import { queryFlag } from "../http/query-flag.ts";

/** The limits of an import (README, "Import from Trello"). */
export const TRELLO_LIMITS = {
  /** The file: a full export of a board at the card limit (about 2 KB a card) fits. */
  fileBytes: 20 * 1024 * 1024,
  /** Trello's exports nest about 6 levels deep. */
  depth: 32,
  /** Cards, archived ones included: Trello's own limit of open cards on a board. */
  cards: 5000,
  lists: 500,
  labels: 1000,
  checklists: 10_000,
  checkItems: 50_000,
  actions: 50_000,
  members: 1000,
  /** Imports a process runs at once: each holds its file and the parsed board in memory. */
  concurrent: 2,
  /** Trello's own limit for a name, a description or a comment: a longer text was not made by Trello. */
  text: 16_384,
} as const;

export const trelloImportQuery = z.strictObject({
  dryRun: queryFlag(),
});
