// The export archive: a plain (uncompressed) POSIX tar holding `export.json` first, then one entry
// `attachments/<attachment id>` per attachment the JSON lists, with exactly the size it lists. Plain
// tar because files are mostly compressed already, and because every entry declares its size up front:
// an import checks it against the JSON before reading a byte (no decompression bombs to guard
// against). Both directions stream through tar-stream: a file is never held in memory whole.
import { extract, type Header, pack } from "tar-stream";
import { ApiError } from "../http/errors.ts";

export const ARCHIVE_DOCUMENT = "export.json";
/** The JSON inside an archive: as much as a JSON body (app.ts MAX_BODY_BYTES, checked by a test), so
 * any archive's JSON also goes through /api/import (the web app's preview sends it there). */
export const ARCHIVE_DOCUMENT_MAX_BYTES = 1024 * 1024;
export const ARCHIVE_TYPE = "application/x-tar";

const ENTRY = /^attachments\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
export const attachmentEntry = (id: string) => `attachments/${id}`;
/** The attachment id an entry's name stands for, or undefined for any other name. */
export const entryAttachmentId = (name: string) => ENTRY.exec(name)?.[1];

/** A streamx readable (tar-stream's entries and packs) as a web stream, pulled as it is read. */
function toWebStream(
  source: AsyncIterable<unknown> & { destroy(error?: Error): void },
  mapError: (error: unknown) => unknown = (error) => error,
) {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw mapError(error);
      }
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: () => source.destroy(),
  });
}

export interface ArchiveFile {
  id: string;
  size: number;
  /** The bytes; undefined when storage has lost them. */
  open(): Promise<Blob | ReadableStream<Uint8Array> | undefined>;
}

/**
 * The archive as a stream: the JSON, then each file opened only when its turn comes. A file missing
 * from storage fails the stream (the download breaks off) rather than making an archive that would
 * not import.
 */
export function packArchive(
  documentJson: string,
  files: ArchiveFile[],
  exportedAt: Date,
  onError: (error: Error) => void,
) {
  const archive = pack();
  const write = async () => {
    archive.entry({ name: ARCHIVE_DOCUMENT, mtime: exportedAt }, documentJson);
    for (const file of files) {
      const body = await file.open();
      if (!body) throw new Error(`the bytes of attachment ${file.id} are missing from storage`);
      await new Promise<void>((resolve, reject) => {
        const entry = archive.entry(
          { name: attachmentEntry(file.id), size: file.size, mtime: exportedAt },
          (error) => (error ? reject(error) : resolve()),
        );
        (async () => {
          for await (const chunk of body instanceof Blob ? body.stream() : body) {
            if (!entry.write(chunk))
              await new Promise<void>((drained) => entry.once("drain", () => drained()));
          }
          entry.end(null); // streamx: null ends without writing
        })().catch(reject);
      });
    }
    archive.finalize();
  };
  write().catch((error: Error) => {
    onError(error);
    archive.destroy(error);
  });
  return toWebStream(archive);
}

export const brokenArchive = (why: string) =>
  new ApiError(
    422,
    "invalid_archive",
    `This file is not a TaskPlatform export archive: ${why}. Choose a .tar made with “Export with files” on the Account & data page.`,
  );

export interface ArchiveEntry {
  name: string;
  type: Header["type"];
  size: number;
  /** The entry's bytes; read it (or skip it) before asking for the next entry. */
  body: ReadableStream<Uint8Array>;
  /** Reads past the entry's bytes. */
  skip(): Promise<void>;
}

/**
 * The archive's entries, one at a time, as the request body arrives. More than `maxBytes` of body
 * is refused (413) as it passes; a body that is not a tar, or ends early, is a 422.
 */
export async function* readArchive(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => ApiError,
): AsyncGenerator<ArchiveEntry> {
  const unpack = extract();
  let refusal: ApiError | undefined;
  /** Resolves when the parser wants more, or is gone (a refusal ended the import). */
  const ready = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        unpack.off("drain", done);
        unpack.off("close", done);
        resolve();
      };
      unpack.on("drain", done);
      unpack.on("close", done);
    });
  const feed = async () => {
    let read = 0;
    for await (const chunk of body) {
      // Leaving the loop cancels the request body: nothing more is read once the import ended.
      if (unpack.destroyed) return;
      read += chunk.byteLength;
      if (read > maxBytes) {
        refusal = tooLarge();
        throw refusal;
      }
      if (!unpack.write(chunk)) await ready();
    }
    unpack.end(null);
  };
  feed().catch((error: Error) => unpack.destroy(error));
  /** What a failure to read the archive means for the client: a 413 past the limit, else a 422. */
  const problem = (error: unknown) => {
    if (error instanceof ApiError) return error;
    if (refusal) return refusal;
    return brokenArchive(
      /end of data/i.test((error as Error).message) ? "it ends too early" : "its bytes are not a tar archive",
    );
  };
  try {
    for await (const entry of unpack) {
      const { name, type, size = 0 } = entry.header;
      yield {
        name,
        type,
        size,
        // Read errors are the archive's (4xx); whatever else fails where the bytes go is not.
        body: toWebStream(entry, problem),
        skip: async () => {
          for await (const _chunk of entry) {
            // Read and dropped.
          }
        },
      };
    }
  } catch (error) {
    throw problem(error);
  } finally {
    unpack.destroy();
  }
}
