// Reading a Trello export from the request: the file's bytes as they are (any content type: a
// browser may call a .json file text/plain), checked before anything is parsed, each refusal said in
// a sentence for the person who picked the file.
import type { Context } from "hono";
import { findBadString, nestsDeeperThan, readLimited } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import { placeOf } from "../http/place.ts";
import { TRELLO_LIMITS } from "./limits.ts";

/** How to get the file, said with every "this is not the right file". */
export const HOW_TO_EXPORT =
  "In Trello, open the board's menu, choose “Print, export and share”, then “Export as JSON”, and pick the file it saves.";

/** The collections of a Trello board, as a place names them. */
export const TRELLO_NOUNS = {
  lists: "List",
  cards: "Card",
  labels: "Label",
  checklists: "Checklist",
  checkItems: "item",
  actions: "Action",
  members: "Member",
};

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

export const notTrello = (why: string) => new ApiError(422, "not_a_trello_export", `${why} ${HOW_TO_EXPORT}`);

/** The request's body as parsed JSON, or a 4xx ApiError saying what is wrong with the file. */
export async function readTrelloFile(c: Context): Promise<unknown> {
  const max = TRELLO_LIMITS.fileBytes;
  const tooLarge = () =>
    new ApiError(
      413,
      "file_too_large",
      `This file is larger than ${megabytes(max)}, the most an import from Trello takes. Archive or delete old cards in Trello, or split the board, and export it again.`,
    );
  if (Number(c.req.header("content-length") ?? Number.NaN) > max) throw tooLarge();
  const body = c.req.raw.body;
  const bytes = body ? await readLimited(body, max, tooLarge) : new Uint8Array();
  if (bytes.byteLength === 0) throw new ApiError(400, "empty_file", `The file is empty. ${HOW_TO_EXPORT}`);
  if (nestsDeeperThan(bytes, TRELLO_LIMITS.depth)) {
    throw notTrello(
      `This file nests its data more than ${TRELLO_LIMITS.depth} levels deep, which a Trello export never does.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ApiError(
      400,
      "not_json",
      `This file is not JSON, so it is not a Trello board export. ${HOW_TO_EXPORT}`,
    );
  }
  const badPath = findBadString(parsed);
  if (badPath) {
    const { place, field } = placeOf(parsed, badPath, TRELLO_NOUNS);
    const where = [place, field ? `“${field}”` : ""].filter(Boolean).join(", ");
    throw new ApiError(
      422,
      "invalid_characters",
      `This file has text with a NUL character or broken Unicode, which cannot be stored${where ? ` (${where})` : ""}. Remove it in Trello and export the board again.`,
      [{ path: badPath, message: "invalid characters" }],
    );
  }
  return parsed;
}
