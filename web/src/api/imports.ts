// Imports from other tools: POST /api/imports/trello with the file as it is (the server checks it and
// says in a sentence what is wrong with a bad one).
import { request } from "./http";
import type { TrelloImportResult } from "./types";

export const importsApi = {
  trello: (file: Blob, dryRun: boolean) =>
    request<TrelloImportResult>(`/api/imports/trello${dryRun ? "?dryRun=true" : ""}`, {
      method: "POST",
      body: file,
    }),
};
