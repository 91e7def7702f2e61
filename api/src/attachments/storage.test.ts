// The S3 backend's logic against a tiny S3-compatible fake (path-style PutObject, multipart upload,
// GetObject, DeleteObject; signatures are not verified). This checks what our code asks of the SDK
// and how it handles the answers: streaming in parts, the size limit, aborting, missing objects. It
// is not a test against AWS S3, MinIO or any real server (see README, "Attachments").
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BlobTooLargeError, createS3Store, S3_PART_SIZE } from "./storage.ts";

const BUCKET = "tp-files";
const KEY = "0b7c6f1e-1111-4c6e-9a43-000000000001/5d1c2b3a-0000-4000-8000-000000000001";

interface FakeS3 {
  objects: Map<string, Uint8Array>;
  uploads: Map<string, Map<number, Uint8Array>>;
  log: { method: string; path: string; query: string; authorization: string | null }[];
  aborted: string[];
  server: ReturnType<typeof Bun.serve>;
}

function startFakeS3(): FakeS3 {
  const objects = new Map<string, Uint8Array>();
  const uploads = new Map<string, Map<number, Uint8Array>>();
  const log: FakeS3["log"] = [];
  const aborted: string[] = [];
  const xml = (body: string, status = 200) =>
    new Response(`<?xml version="1.0" encoding="UTF-8"?>${body}`, {
      status,
      headers: { "content-type": "application/xml" },
    });
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      log.push({
        method: req.method,
        path: url.pathname,
        query: url.search,
        authorization: req.headers.get("authorization"),
      });
      const [, bucket, ...rest] = url.pathname.split("/");
      const key = decodeURIComponent(rest.join("/"));
      if (bucket !== BUCKET) return xml("<Error><Code>NoSuchBucket</Code></Error>", 404);
      const uploadId = url.searchParams.get("uploadId");
      if (req.method === "POST" && url.searchParams.has("uploads")) {
        const id = crypto.randomUUID();
        uploads.set(id, new Map());
        return xml(
          `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      if (req.method === "PUT" && uploadId) {
        const part = new Uint8Array(await req.arrayBuffer());
        uploads.get(uploadId)?.set(Number(url.searchParams.get("partNumber")), part);
        return new Response(null, { headers: { etag: `"part-${url.searchParams.get("partNumber")}"` } });
      }
      if (req.method === "POST" && uploadId) {
        const parts = [...(uploads.get(uploadId) ?? new Map()).entries()].sort(([a], [b]) => a - b);
        objects.set(key, Buffer.concat(parts.map(([, bytes]) => bytes)));
        uploads.delete(uploadId);
        return xml(
          `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>"whole"</ETag></CompleteMultipartUploadResult>`,
        );
      }
      if (req.method === "DELETE" && uploadId) {
        aborted.push(uploadId);
        uploads.delete(uploadId);
        return new Response(null, { status: 204 });
      }
      if (req.method === "PUT") {
        objects.set(key, new Uint8Array(await req.arrayBuffer()));
        return new Response(null, { headers: { etag: '"single"' } });
      }
      if (req.method === "GET") {
        const object = objects.get(key);
        if (!object) return xml(`<Error><Code>NoSuchKey</Code><Key>${key}</Key></Error>`, 404);
        return new Response(object, { headers: { "content-length": String(object.length), etag: '"x"' } });
      }
      if (req.method === "DELETE") {
        objects.delete(key);
        return new Response(null, { status: 204 });
      }
      return xml("<Error><Code>NotImplemented</Code></Error>", 501);
    },
  });
  return { objects, uploads, log, aborted, server };
}

let fake: FakeS3;
let store: ReturnType<typeof createS3Store>;

beforeAll(() => {
  fake = startFakeS3();
  store = createS3Store({
    bucket: BUCKET,
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${fake.server.port}`,
    forcePathStyle: true,
    accessKeyId: "test-key",
    secretAccessKey: "test-secret",
  });
});
afterAll(() => fake.server.stop(true));

/** `size` bytes in chunks of 64 KiB, as a request body arrives. */
function body(size: number, fill = 1): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(64 * 1024, size - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(fill));
    },
  });
}

test("the API's modules load no AWS SDK until the S3 backend is used (a directory deployment never does)", () => {
  const storage = JSON.stringify(`${import.meta.dir}/storage.ts`);
  const script = `
    await import(${JSON.stringify(`${import.meta.dir}/../app.ts`)});
    await import(${JSON.stringify(`${import.meta.dir}/../runtime.ts`)});
    const { createS3Store } = await import(${storage});
    const sdk = () => Object.keys(require.cache).filter((path) => path.includes("@aws-sdk")).length;
    const before = sdk();
    await createS3Store({ bucket: "b", region: "us-east-1", endpoint: "http://127.0.0.1:1", forcePathStyle: true })
      .remove("${KEY}").catch(() => {});
    console.log(JSON.stringify({ before, after: sdk() }));`;
  const run = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  expect(run.exitCode, run.stderr.toString()).toBe(0);
  const { before, after } = JSON.parse(run.stdout.toString().trim().split("\n").pop() ?? "{}");
  expect(before).toBe(0);
  expect(after).toBeGreaterThan(0);
});

describe("S3 backend (against a fake)", () => {
  test("a small file is one signed PutObject to bucket/key; it reads back and is removed", async () => {
    const stored = await store.put(KEY, body(1000, 0x89), 10_000);
    expect(stored.size).toBe(1000);
    expect(stored.head[0]).toBe(0x89);
    const put = fake.log.findLast((entry) => entry.method === "PUT");
    expect(put?.path).toBe(`/${BUCKET}/${KEY}`);
    expect(put?.authorization).toStartWith("AWS4-HMAC-SHA256 Credential=test-key/");
    expect(fake.objects.get(KEY)?.length).toBe(1000);

    const read = await store.get(KEY);
    expect(new Uint8Array(await new Response(read).arrayBuffer())).toEqual(new Uint8Array(1000).fill(0x89));
    await store.remove(KEY);
    expect(fake.objects.has(KEY)).toBe(false);
  });

  test("a file larger than a part goes up as a multipart upload and reads back whole", async () => {
    const size = 2 * S3_PART_SIZE + 12_345;
    const stored = await store.put(KEY, body(size, 7), size);
    expect(stored.size).toBe(size);
    expect(fake.log.some((entry) => entry.method === "POST" && entry.query.startsWith("?uploads"))).toBe(
      true,
    );
    expect(
      fake.log.filter((entry) => entry.method === "PUT" && entry.query.includes("partNumber")).length,
    ).toBe(3);
    const object = fake.objects.get(KEY);
    expect(object?.length).toBe(size);
    expect(object?.every((byte) => byte === 7)).toBe(true);
    await store.remove(KEY);
  });

  test("over the limit: BlobTooLargeError, the multipart upload is aborted, no object is left", async () => {
    const other = KEY.replace(/1$/, "2");
    const limit = 2 * S3_PART_SIZE + 100;
    await expect(store.put(other, body(4 * S3_PART_SIZE), limit)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(fake.objects.has(other)).toBe(false);
    expect(fake.uploads.size).toBe(0);
    expect(fake.aborted.length).toBeGreaterThanOrEqual(1);
  });

  test("a missing object reads as undefined; removing it succeeds; keys that are not ours are refused", async () => {
    expect(await store.get(KEY.replace(/1$/, "9"))).toBeUndefined();
    await store.remove(KEY.replace(/1$/, "9"));
    expect(() => store.put("../../etc/passwd", body(1), 10)).toThrow("not an attachment storage key");
  });
});
