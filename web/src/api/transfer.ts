// Export and import of everything a user can see: /api/export, /api/import, and the same with the
// attachments' bytes as a tar: /api/export/archive, /api/import/archive.
import { json, request } from "./http";
import type { ImportResult } from "./types";

export const transferApi = {
  exportData: () => request<unknown>("/api/export"),
  importData: (data: unknown, mode: ImportResult["mode"], dryRun = false) =>
    request<ImportResult>(`/api/import?mode=${mode}${dryRun ? "&dryRun=true" : ""}`, json("POST", data)),
  exportArchive: () => request<Blob>("/api/export/archive", { asBlob: true }),
  importArchive: (archive: Blob, mode: ImportResult["mode"]) =>
    request<ImportResult>(`/api/import/archive?mode=${mode}`, { method: "POST", rawBody: archive }),
};
