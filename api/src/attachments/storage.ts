// Where attachment bytes live: a directory (the default; a named volume in compose and Quadlet) or an
// S3-compatible bucket (ATTACHMENTS_BACKEND=s3, through the official AWS SDK, imported on first use so
// a process that never uses it never loads it). Both stream: a file is never held in memory whole.
// Keys are `<projectId>/<attachmentId>` (two UUIDs, checked), so no client text reaches a path.
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Config } from "../config.ts";

/** A body longer than the limit: nothing is kept. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
  }
}

export interface StoredBlob {
  size: number;
  /** The first bytes (up to 16), for sniffing the type. */
  head: Uint8Array;
}

export interface BlobStore {
  description: string;
  /** Streams `body` under `key`, refusing (BlobTooLargeError) past `maxBytes`; a failed put leaves nothing. */
  put(key: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<StoredBlob>;
  /** The bytes as a response body (a file is sent with sendfile), or undefined when there are none. */
  get(key: string): Promise<Blob | ReadableStream<Uint8Array> | undefined>;
  /** Idempotent: removing what is gone succeeds. */
  remove(key: string): Promise<void>;
  /** Directory backend: nginx can read the files itself (X-Accel-Redirect). */
  readonly servesFiles: boolean;
}

const KEY = /^[0-9a-f-]{36}\/[0-9a-f-]{36}$/;
const HEAD_BYTES = 16;

export const isStorageKey = (key: string) => KEY.test(key);

export function checkedKey(key: string): string {
  if (!isStorageKey(key)) throw new Error(`not an attachment storage key: ${JSON.stringify(key)}`);
  return key;
}

/** Passes the bytes on, counting them, keeping the first 16, and failing past `maxBytes`. */
export function limited(maxBytes: number) {
  const head = new Uint8Array(HEAD_BYTES);
  let size = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (size < HEAD_BYTES) head.set(chunk.subarray(0, HEAD_BYTES - size), size);
      size += chunk.byteLength;
      if (size > maxBytes) controller.error(new BlobTooLargeError(maxBytes));
      else controller.enqueue(chunk);
    },
  });
  return { stream, result: (): StoredBlob => ({ size, head: head.slice(0, Math.min(size, HEAD_BYTES)) }) };
}

export function createDirectoryStore(root: string): BlobStore {
  const pathOf = (key: string) => join(root, checkedKey(key));
  return {
    description: `attachments: directory ${root}`,
    servesFiles: true,
    async put(key, body, maxBytes) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Written beside its final name and renamed: a reader never sees half a file.
      const partial = `${path}.partial`;
      const limit = limited(maxBytes);
      try {
        // 0644: the proxy (another user) reads the files it serves by X-Accel-Redirect.
        const handle = await open(partial, "wx", 0o644);
        try {
          for await (const chunk of body.pipeThrough(limit.stream)) await handle.write(chunk);
        } finally {
          await handle.close();
        }
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return limit.result();
    },
    async get(key) {
      const file = Bun.file(pathOf(key));
      return (await file.exists()) ? file : undefined;
    },
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}

export type S3Settings = Config["attachments"]["s3"];

/** What the S3 backend needs from the SDK; tests of its logic may hand in the real SDK against a fake server. */
async function loadSdk() {
  const [s3, storage] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage")]);
  return { ...s3, Upload: storage.Upload };
}

/** Part size of multipart uploads: memory per upload is about PART_SIZE × QUEUE_SIZE. */
export const S3_PART_SIZE = 5 * 1024 * 1024;
const S3_QUEUE_SIZE = 2;

export function createS3Store(settings: S3Settings): BlobStore {
  let client: Promise<{
    sdk: Awaited<ReturnType<typeof loadSdk>>;
    s3: import("@aws-sdk/client-s3").S3Client;
  }>;
  const connect = () => {
    client ??= loadSdk().then((sdk) => ({
      sdk,
      s3: new sdk.S3Client({
        region: settings.region,
        endpoint: settings.endpoint,
        forcePathStyle: settings.forcePathStyle,
        // Checksums only where S3 requires them: S3-compatible servers differ in the newer ones.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        ...(settings.accessKeyId && settings.secretAccessKey
          ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
          : {}),
      }),
    }));
    return client;
  };
  const isMissing = (error: unknown) => {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
  };
  return {
    description: `attachments: S3 bucket ${settings.bucket}${settings.endpoint ? ` at ${settings.endpoint}` : ""}`,
    servesFiles: false,
    async put(key, body, maxBytes) {
      const { sdk, s3 } = await connect();
      const limit = limited(maxBytes);
      // lib-storage sends one PutObject for a small body and a multipart upload (parts of S3_PART_SIZE,
      // S3_QUEUE_SIZE at a time) for a larger one; a failure aborts the multipart upload.
      const upload = new sdk.Upload({
        client: s3,
        params: { Bucket: settings.bucket, Key: checkedKey(key), Body: body.pipeThrough(limit.stream) },
        partSize: S3_PART_SIZE,
        queueSize: S3_QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await upload.done();
      return limit.result();
    },
    async get(key) {
      const { sdk, s3 } = await connect();
      try {
        const answer = await s3.send(
          new sdk.GetObjectCommand({ Bucket: settings.bucket, Key: checkedKey(key) }),
        );
        return answer.Body?.transformToWebStream() as ReadableStream<Uint8Array> | undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async remove(key) {
      const { sdk, s3 } = await connect();
      await s3.send(new sdk.DeleteObjectCommand({ Bucket: settings.bucket, Key: checkedKey(key) }));
    },
  };
}

export function createBlobStore(settings: Config["attachments"]): BlobStore {
  return settings.backend === "s3" ? createS3Store(settings.s3) : createDirectoryStore(settings.dir);
}
