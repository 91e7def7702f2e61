// Export and import of the user's data. Choosing a file writes nothing: two dry runs say what a
// restore and a copy would each do, and the user picks one. An export archive (.tar) is previewed
// with the JSON it starts with; the import then sends the whole archive, files and all.
import { ApiError } from "../api/http";
import { transferApi } from "../api/transfer";
import type { ImportResult } from "../api/types";

export interface ImportPreview {
  fileName: string;
  data: unknown;
  /** The archive chosen, when it is one: imported whole. */
  archive?: File;
  copy: ImportResult;
  /** The restore dry run, or why the server refuses to restore; undefined for files without ids. */
  restore?: ImportResult | string;
}

function hasProjectIds(data: unknown): boolean {
  const projects = (data as { projects?: unknown } | null)?.projects;
  return Array.isArray(projects) && projects.some((p) => typeof (p as { id?: unknown })?.id === "string");
}

const NOT_AN_ARCHIVE = "That .tar file is not a TaskPlatform export archive.";

/** Whether the file is a tar: "ustar" at offset 257 of its first header (POSIX). */
async function isTar(file: File): Promise<boolean> {
  return (await file.slice(257, 262).text()) === "ustar";
}

/**
 * The export.json an archive starts with. Only the first 512-byte ustar header is read (its name and
 * its octal size), so no tar library enters the bundle; the server checks the whole archive.
 */
export async function archiveDocument(file: File): Promise<unknown> {
  const header = new Uint8Array(await file.slice(0, 512).arrayBuffer());
  const field = (from: number, to: number) =>
    new TextDecoder()
      .decode(header.subarray(from, to))
      .replace(/\0[\s\S]*$/, "")
      .trim();
  const size = Number.parseInt(field(124, 136), 8);
  if (field(0, 100) !== "export.json" || !Number.isSafeInteger(size)) throw new Error(NOT_AN_ARCHIVE);
  try {
    return JSON.parse(await file.slice(512, 512 + size).text());
  } catch {
    throw new Error(NOT_AN_ARCHIVE);
  }
}

export function createTransferStore(client = transferApi) {
  return {
    exportData: () => client.exportData(),
    exportArchive: () => client.exportArchive(),
    async preview(file: File): Promise<ImportPreview> {
      const archive = (await isTar(file)) ? file : undefined;
      let data: unknown;
      if (archive) data = await archiveDocument(archive);
      else {
        try {
          data = JSON.parse(await file.text());
        } catch {
          throw new Error("That file is not valid JSON, so it cannot be a TaskPlatform export.");
        }
      }
      const copy = await client.importData(data, "copy", true);
      // Restore is offered for files that carry project ids; the server says why when it cannot be.
      const restore = hasProjectIds(data)
        ? await client.importData(data, "restore", true).catch((err: unknown) => {
            if (err instanceof ApiError && err.status < 500) return err.message;
            throw err;
          })
        : undefined;
      return { fileName: file.name, data, archive, copy, restore };
    },
    run: (preview: ImportPreview, mode: ImportResult["mode"]) =>
      preview.archive ? client.importArchive(preview.archive, mode) : client.importData(preview.data, mode),
  };
}
