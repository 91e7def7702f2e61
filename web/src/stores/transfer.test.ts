// The import preview of an export archive: the browser reads export.json from an archive the API's own
// writer made (first ustar header only), previews it with the JSON dry runs, and imports the whole file.
import { describe, expect, test } from "bun:test";
import { packArchive } from "../../../api/src/transfer/archive.ts";
import type { transferApi } from "../api/transfer";
import type { ImportResult } from "../api/types";
import { archiveDocument, createTransferStore } from "./transfer";

const DOCUMENT = {
  format: "taskplatform-export",
  version: 4,
  exportedAt: "2026-12-04T10:00:00.000Z",
  projects: [{ id: "0b7c6f1e-1111-4c6e-9a43-000000000001", name: "Files", tasks: [] }],
};

async function archiveFile(document: unknown = DOCUMENT): Promise<File> {
  const body = packArchive(
    JSON.stringify(document),
    [{ id: "5d1c2b3a-0000-4000-8000-000000000001", size: 3, open: async () => new Blob(["abc"]) }],
    new Date(),
    (error) => {
      throw error;
    },
  );
  return new File([await new Response(body).arrayBuffer()], "taskplatform-export.tar");
}

const result = (mode: ImportResult["mode"], dryRun: boolean) => ({ mode, dryRun }) as ImportResult;

describe("export archives in the import preview", () => {
  test("export.json is read from an archive the API wrote", async () => {
    expect(await archiveDocument(await archiveFile())).toEqual(DOCUMENT);
  });

  test("a file that is not an archive of ours is refused with a sentence", async () => {
    await expect(archiveDocument(new File(["x".repeat(600)], "x.tar"))).rejects.toThrow(
      "not a TaskPlatform export archive",
    );
  });

  test("an archive is previewed with its JSON (copy and restore dry runs) and imported whole", async () => {
    const calls: string[] = [];
    const client = {
      exportData: async () => DOCUMENT,
      exportArchive: async () => new Blob(),
      importData: async (data: unknown, mode: ImportResult["mode"], dryRun = false) => {
        calls.push(`json ${mode} ${dryRun} ${(data as typeof DOCUMENT).projects[0]?.name}`);
        return result(mode, dryRun);
      },
      importArchive: async (archive: Blob, mode: ImportResult["mode"]) => {
        calls.push(`archive ${mode} ${archive.size}`);
        return result(mode, false);
      },
    } satisfies typeof transferApi;
    const store = createTransferStore(client);
    const file = await archiveFile();
    const preview = await store.preview(file);
    expect(preview.archive).toBe(file);
    await store.run(preview, "copy");
    expect(calls).toEqual(["json copy true Files", "json restore true Files", `archive copy ${file.size}`]);
  });

  test("a JSON file is still previewed and imported as JSON", async () => {
    const calls: string[] = [];
    const client = {
      exportData: async () => DOCUMENT,
      exportArchive: async () => new Blob(),
      importData: async (_data: unknown, mode: ImportResult["mode"], dryRun = false) => {
        calls.push(`json ${mode} ${dryRun}`);
        return result(mode, dryRun);
      },
      importArchive: async () => {
        throw new Error("not an archive");
      },
    } satisfies typeof transferApi;
    const store = createTransferStore(client);
    const preview = await store.preview(new File([JSON.stringify(DOCUMENT)], "export.json"));
    expect(preview.archive).toBeUndefined();
    await store.run(preview, "restore");
    expect(calls).toEqual(["json copy true", "json restore true", "json restore false"]);
  });
});
