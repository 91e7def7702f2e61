// Export and import of everything a user can see: /api/export, /api/import.
import { json, request } from "./http";
import type { ImportResult } from "./types";

export const transferApi = {
  exportData: () => request<unknown>("/api/export"),
  importData: (data: unknown, mode: ImportResult["mode"], dryRun = false) =>
    request<ImportResult>(`/api/import?mode=${mode}${dryRun ? "&dryRun=true" : ""}`, json("POST", data)),
};
