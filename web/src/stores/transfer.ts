// Export and import of the user's data. Choosing a file writes nothing: two dry runs say what a
// restore and a copy would each do, and the user picks one.
import { ApiError } from "../api/http";
import { transferApi } from "../api/transfer";
import type { ImportResult } from "../api/types";

export interface ImportPreview {
  fileName: string;
  data: unknown;
  copy: ImportResult;
  /** The restore dry run, or why the server refuses to restore; undefined for files without ids. */
  restore?: ImportResult | string;
}

function hasProjectIds(data: unknown): boolean {
  const projects = (data as { projects?: unknown } | null)?.projects;
  return Array.isArray(projects) && projects.some((p) => typeof (p as { id?: unknown })?.id === "string");
}

export function createTransferStore(client = transferApi) {
  return {
    exportData: () => client.exportData(),
    async preview(file: File): Promise<ImportPreview> {
      let data: unknown;
      try {
        data = JSON.parse(await file.text());
      } catch {
        throw new Error("That file is not valid JSON, so it cannot be a TaskPlatform export.");
      }
      const copy = await client.importData(data, "copy", true);
      // Restore is offered for files that carry project ids; the server says why when it cannot be.
      const restore = hasProjectIds(data)
        ? await client.importData(data, "restore", true).catch((err: unknown) => {
            if (err instanceof ApiError && err.status < 500) return err.message;
            throw err;
          })
        : undefined;
      return { fileName: file.name, data, copy, restore };
    },
    run: (preview: ImportPreview, mode: ImportResult["mode"]) => client.importData(preview.data, mode),
  };
}
