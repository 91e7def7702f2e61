// The export archive (a tar of export.json and the attachments' bytes) on real PostgreSQL and Redis
// with the directory store: a copy and a restore bring the files back byte for byte; hostile
// archives are refused with a 4xx and leave no project, no row and no stored file behind.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract, pack } from "tar-stream";
import { MAX_BODY_BYTES } from "../src/app.ts";
import { ARCHIVE_DOCUMENT_MAX_BYTES } from "../src/transfer/archive.ts";
import { maxArchiveBytes } from "../src/transfer/handlers.ts";
import { openEvents, payload } from "./support/client.ts";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

setDefaultTimeout(60_000);

const MAX_BYTES = 64 * 1024;
const QUOTA_BYTES = 200 * 1024;
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);
const BINARY = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 256);

let t: TestApp;
let dir: string;
let owner: TestUser;
let archive: Uint8Array;
let exported: ExportFile;

interface ExportFile {
  projects: {
    id: string;
    name: string;
    tasks: {
      title: string;
      attachments?: { id: string; name: string; size: number; imageType: string | null }[];
    }[];
  }[];
}
type Entry = { name: string; bytes: Uint8Array | string; size?: number };

/** Every file under the attachments directory (partial ones included). */
const storedFiles = () =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
        .sort()
    : [];

/** A tar of these entries (tar-stream, as the API writes them). */
async function tarOf(entries: Entry[]): Promise<Uint8Array> {
  const out = pack();
  for (const entry of entries) out.entry({ name: entry.name }, Buffer.from(entry.bytes));
  out.finalize();
  const chunks: Uint8Array[] = [];
  for await (const chunk of out) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks);
}

/** The entries of a tar, in order. */
async function entriesOf(bytes: Uint8Array): Promise<{ name: string; bytes: Uint8Array }[]> {
  const unpack = extract();
  unpack.end(Buffer.from(bytes));
  const found: { name: string; bytes: Uint8Array }[] = [];
  for await (const entry of unpack) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of entry) chunks.push(chunk as Uint8Array);
    found.push({ name: entry.header.name, bytes: Buffer.concat(chunks) });
  }
  return found;
}

const importArchive = (user: TestUser, body: RequestInit["body"], mode = "copy", headers = {}) =>
  t.call("POST", `/api/import/archive?mode=${mode}`, {
    token: user.token,
    rawBody: body,
    headers: { "content-type": "application/x-tar", ...headers },
  });

const projectCount = async (user: TestUser) =>
  (await t.call("GET", "/api/projects", { token: user.token })).body.items.length as number;

/** The document in the archive with `change` applied, and the archive's other entries as they are. */
async function withDocument(change: (document: ExportFile) => void, extra: Entry[] = []) {
  const [json, ...files] = await entriesOf(archive);
  const document = JSON.parse(new TextDecoder().decode(json?.bytes)) as ExportFile;
  change(document);
  return tarOf([{ name: "export.json", bytes: JSON.stringify(document) }, ...files, ...extra]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tp-archive-"));
  t = await createTestApp({
    ATTACHMENTS_DIR: dir,
    ATTACHMENTS_MAX_BYTES: String(MAX_BYTES),
    ATTACHMENTS_PROJECT_QUOTA_BYTES: String(QUOTA_BYTES),
  });
  owner = await t.signUp("Owner");
  const projectId = (await t.call("POST", "/api/projects", { token: owner.token, body: { name: "Files" } }))
    .body.id;
  const taskId = (
    await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId, title: "Report" } })
  ).body.id;
  for (const [name, bytes] of [
    ["shot.png", PNG],
    ["data.bin", BINARY],
  ] as const) {
    const res = await t.call("POST", `/api/tasks/${taskId}/attachments?name=${name}`, {
      token: owner.token,
      rawBody: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(res.status).toBe(201);
  }
  const res = await t.app.request("/api/export/archive", {
    headers: { authorization: `Bearer ${owner.token}`, "x-forwarded-for": "203.0.113.9" },
  });
  expect(res.status).toBe(200);
  archive = new Uint8Array(await res.arrayBuffer());
  exported = JSON.parse(new TextDecoder().decode((await entriesOf(archive))[0]?.bytes)) as ExportFile;
}, 120_000);
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("export archive", () => {
  test("a tar of export.json (the JSON export) and attachments/<id> with each file's exact bytes", async () => {
    const entries = await entriesOf(archive);
    const files = exported.projects[0]?.tasks[0]?.attachments ?? [];
    expect(entries.map((entry) => entry.name)).toEqual([
      "export.json",
      ...files.map((file) => `attachments/${file.id}`),
    ]);
    expect(files.map((file) => [file.name, file.size, file.imageType])).toEqual([
      ["shot.png", PNG.length, "image/png"],
      ["data.bin", BINARY.length, null],
    ]);
    expect(entries[1]?.bytes).toEqual(PNG);
    expect(entries[2]?.bytes).toEqual(BINARY);
    const plain = (await t.call("GET", "/api/export", { token: owner.token })).body;
    expect({ ...plain, exportedAt: null }).toEqual({ ...exported, exportedAt: null });
  });

  test("the response is a download that no cache keeps", async () => {
    const res = await t.app.request("/api/export/archive", {
      headers: { authorization: `Bearer ${owner.token}`, "x-forwarded-for": "203.0.113.9" },
    });
    expect(res.headers.get("content-type")).toBe("application/x-tar");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="taskplatform-export-.*\.tar"$/,
    );
    expect(res.headers.get("cache-control")).toContain("no-store");
    await res.arrayBuffer();
    expect((await t.call("GET", "/api/export/archive")).status).toBe(401);
  });
});

test("a file missing from storage breaks the download off rather than sending an archive that would not import", async () => {
  const user = await t.signUp("Lost");
  const projectId = (await t.call("POST", "/api/projects", { token: user.token, body: { name: "Lost" } }))
    .body.id;
  const taskId = (await t.call("POST", "/api/tasks", { token: user.token, body: { projectId, title: "T" } }))
    .body.id;
  const res = await t.call("POST", `/api/tasks/${taskId}/attachments?name=gone.bin`, {
    token: user.token,
    rawBody: "bytes",
    headers: { "content-type": "application/octet-stream" },
  });
  expect(res.status).toBe(201);
  rmSync(join(dir, projectId, res.body.id));
  const download = await t.app.request("/api/export/archive", {
    headers: { authorization: `Bearer ${user.token}`, "x-forwarded-for": "203.0.113.9" },
  });
  expect(download.status).toBe(200);
  await expect(download.arrayBuffer()).rejects.toThrow();
});

test("OpenAPI describes both operations with the tar media type", async () => {
  const spec = (await t.call("GET", "/api/openapi.json")).body;
  expect(Object.keys(spec.paths["/api/export/archive"].get.responses[200].content)).toEqual([
    "application/x-tar",
  ]);
  const upload = spec.paths["/api/import/archive"].post;
  expect(Object.keys(upload.requestBody.content)).toEqual(["application/x-tar"]);
  expect(upload.parameters.map((p: { name: string }) => p.name)).toEqual(["mode"]);
});

describe("import archive", () => {
  test("as a copy into another account: new project, new ids, the same bytes; the PNG sniffed again", async () => {
    const other = await t.signUp("Mover");
    const before = storedFiles().length;
    const res = await importArchive(other, archive);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ mode: "copy", dryRun: false, tasks: 1 });
    expect(storedFiles().length).toBe(before + 2);

    const [project] = (await t.call("GET", "/api/projects", { token: other.token })).body.items;
    expect(project.name).toBe("Files");
    expect(project.id).not.toBe(exported.projects[0]?.id);
    const [task] = (await t.call("GET", `/api/tasks?projectId=${project.id}`, { token: other.token })).body
      .items;
    const list = (await t.call("GET", `/api/tasks/${task.id}/attachments`, { token: other.token })).body;
    expect(list.items.map((a: { name: string }) => a.name)).toEqual(["shot.png", "data.bin"]);
    const originalIds = new Set(exported.projects[0]?.tasks[0]?.attachments?.map((a) => a.id));
    for (const item of list.items) expect(originalIds.has(item.id)).toBe(false);
    expect(list.items[0]).toMatchObject({ imageType: "image/png", uploaderName: null });
    const downloaded = await Promise.all(
      list.items.map(
        async (a: { url: string }) => new Uint8Array(await (await t.app.request(a.url)).arrayBuffer()),
      ),
    );
    expect(downloaded).toEqual([PNG, BINARY]);
    // Its files are stored under the new project's id.
    expect(storedFiles().filter((path) => path.includes(project.id)).length).toBe(2);
  });

  test("the importer's open tabs hear of the new project (project.created) after the commit", async () => {
    const user = await t.signUp("Listener");
    const stream = await openEvents(t.listen(), { token: user.token });
    try {
      await stream.waitFor((message) => message.event === "ready");
      const res = await importArchive(user, archive);
      expect(res.status).toBe(201);
      const event = await stream.waitFor(
        (message) =>
          message.event === "project.created" && payload(message).projectId === res.body.projects[0].id,
      );
      expect(payload(event).project).toMatchObject({ name: "Files" });
    } finally {
      stream.close();
    }
  });

  test("names are cleaned as an upload's are; a name with nothing usable is refused", async () => {
    const user = await t.signUp("Names");
    const renamed = await withDocument((document) => {
      const file = document.projects[0]?.tasks[0]?.attachments?.[0];
      if (file) file.name = "../../etc/\u202Egnp.exe";
    });
    const res = await importArchive(user, renamed);
    expect(res.status).toBe(201);
    const tasks = await t.call("GET", `/api/tasks?projectId=${res.body.projects[0].id}`, {
      token: user.token,
    });
    const list = await t.call("GET", `/api/tasks/${tasks.body.items[0].id}/attachments`, {
      token: user.token,
    });
    expect(list.body.items.map((a: { name: string }) => a.name)).toEqual(["gnp.exe", "data.bin"]);
    const nameless = await withDocument((document) => {
      const file = document.projects[0]?.tasks[0]?.attachments?.[0];
      if (file) file.name = "\u200b\u202e";
    });
    const refusedRes = await importArchive(user, nameless);
    expect(refusedRes.status).toBe(422);
    expect(refusedRes.body.error.message).toContain("no usable characters");
  });

  test("a restore keeps the attachments it still has and brings back a deleted one under its id", async () => {
    const file = exported.projects[0]?.tasks[0]?.attachments?.[1];
    const [project] = (await t.call("GET", "/api/projects", { token: owner.token })).body.items;
    const [task] = (await t.call("GET", `/api/tasks?projectId=${project.id}`, { token: owner.token })).body
      .items;
    expect(
      (await t.call("DELETE", `/api/tasks/${task.id}/attachments/${file?.id}`, { token: owner.token }))
        .status,
    ).toBe(204);
    const res = await importArchive(owner, archive, "restore");
    expect(res.status).toBe(201);
    expect(res.body.projects[0]).toMatchObject({ id: project.id, action: "restored" });
    const list = (await t.call("GET", `/api/tasks/${task.id}/attachments`, { token: owner.token })).body;
    expect(list.items.map((a: { id: string }) => a.id)).toEqual(
      exported.projects[0]?.tasks[0]?.attachments?.map((a) => a.id),
    );
    const restored = list.items[1];
    expect(new Uint8Array(await (await t.app.request(restored.url)).arrayBuffer())).toEqual(BINARY);
  });
});

describe("hostile archives: a 4xx, and nothing is left behind", () => {
  /** Imports as a fresh user; expects the refusal and that no project, row or file came of it. */
  async function refused(body: Uint8Array, status: number, code: string, message?: RegExp, mode = "copy") {
    const user = await t.signUp("Target");
    const files = storedFiles();
    const res = await importArchive(user, body, mode);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
    if (message) expect(res.body.error.message).toMatch(message);
    expect(await projectCount(user)).toBe(0);
    expect(storedFiles()).toEqual(files);
    return res;
  }
  test("names that climb out (../, absolute, attachments/../) are entries the list does not name", async () => {
    for (const name of [
      "../../etc/passwd",
      "/etc/passwd",
      "attachments/../export.json",
      `attachments/${"a".repeat(36)}`,
    ]) {
      await refused(
        await withDocument(() => {}, [{ name, bytes: "x" }]),
        422,
        "invalid_archive",
        /does not name/,
      );
    }
  });

  test("a listed file missing, an entry named twice, or one the list does not name", async () => {
    const [json, png] = await entriesOf(archive);
    await refused(
      await tarOf([{ name: "export.json", bytes: json?.bytes ?? "" }, png as Entry]),
      422,
      "invalid_archive",
      /whose file is not in it/,
    );
    const all = await entriesOf(archive);
    await refused(await tarOf([...all, png as Entry]), 422, "invalid_archive", /twice/);
    await refused(
      await withDocument(() => {}, [{ name: `attachments/${crypto.randomUUID()}`, bytes: "extra" }]),
      422,
      "invalid_archive",
      /does not name/,
    );
  });

  test("the second file failing removes the first one already stored", async () => {
    // A size that disagrees with the list is found at the second entry's header.
    const entries = await entriesOf(archive);
    const second = entries[2] as { name: string; bytes: Uint8Array };
    const shorter = { name: second.name, bytes: second.bytes.slice(1) };
    await refused(
      await tarOf([entries[0] as Entry, entries[1] as Entry, shorter]),
      422,
      "invalid_archive",
      /bytes where its list says/,
    );
  });

  test("a file listed larger than an attachment may be, or over the project's quota: 413 before any byte", async () => {
    await refused(
      await withDocument((document) => {
        const file = document.projects[0]?.tasks[0]?.attachments?.[1];
        if (file) file.size = MAX_BYTES + 1;
      }),
      413,
      "payload_too_large",
    );
    await refused(
      await withDocument((document) => {
        const task = document.projects[0]?.tasks[0];
        if (!task?.attachments) return;
        const big = task.attachments[1] as NonNullable<typeof task.attachments>[number];
        task.attachments = [0, 1, 2, 3].map(() => ({ ...big, id: crypto.randomUUID(), size: MAX_BYTES }));
      }),
      413,
      "quota_exceeded",
    );
  });

  test("a huge declared size in an entry's header is refused at the header, before its bytes", async () => {
    const [json, png] = await entriesOf(archive);
    const out = pack();
    out.entry({ name: "export.json" }, Buffer.from(json?.bytes ?? ""));
    out.entry({ name: png?.name ?? "", size: 8 * 1024 ** 3 }).write(Buffer.alloc(4096));
    // What a client would send first: the JSON, the huge header and a little of its "bytes".
    const sent: Uint8Array[] = [];
    let length = 0;
    for await (const chunk of out) {
      sent.push(chunk as Uint8Array);
      length += (chunk as Uint8Array).length;
      if (length >= 512 + (json?.bytes.length ?? 0) + 512 + 4096) break;
    }
    await refused(Buffer.concat(sent), 413, "payload_too_large");
  });

  test("not a tar, a tar cut short, one without export.json first, a broken or wrong JSON", async () => {
    await refused(
      new TextEncoder().encode("PK\u0003\u0004 this is a zip, not a tar".repeat(40)),
      422,
      "invalid_archive",
    );
    await refused(archive.slice(0, archive.length - 20_000), 422, "invalid_archive", /ends too early/);
    const [json, png] = await entriesOf(archive);
    await refused(
      await tarOf([png as Entry, json as Entry]),
      422,
      "invalid_archive",
      /first entry must be export.json/,
    );
    await refused(await tarOf([{ name: "export.json", bytes: "{not json" }]), 400, "malformed_json");
    await refused(await tarOf([{ name: "export.json", bytes: '{"format":"x"}' }]), 422, "not_an_export");
    await refused(
      await tarOf([{ name: "export.json", bytes: '{"a":"\\u0000"}' }]),
      422,
      "invalid_characters",
    );
    await refused(new Uint8Array(), 422, "invalid_archive");
    await refused(
      await tarOf([{ name: "export.json", bytes: " ".repeat(ARCHIVE_DOCUMENT_MAX_BYTES + 1) }]),
      413,
      "payload_too_large",
    );
  });

  test("restoring someone else's project: 403 not_owner, and no file or row is left", async () => {
    await refused(archive, 403, "not_owner", /not one of its owners/, "restore");
  });

  test("a database failure after the files were stored (a trigger of this test's) leaves no row and no file", async () => {
    await t.sql.unsafe(`
      CREATE FUNCTION fail_archive_file() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.name = 'data.bin' THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_archive_file BEFORE INSERT ON attachments FOR EACH ROW EXECUTE FUNCTION fail_archive_file();`);
    try {
      const user = await t.signUp("Unlucky");
      const files = storedFiles();
      const res = await importArchive(user, archive);
      expect(res.status).toBe(500);
      expect(await projectCount(user)).toBe(0);
      expect(storedFiles()).toEqual(files);
    } finally {
      await t.sql.unsafe("DROP TRIGGER fail_archive_file ON attachments; DROP FUNCTION fail_archive_file();");
    }
  });

  test("a Content-Length over the archive limit is refused before reading; dryRun is not an archive option", async () => {
    const user = await t.signUp("Big");
    const limit = maxArchiveBytes(QUOTA_BYTES);
    const res = await importArchive(user, "x", "copy", { "content-length": String(limit + 1) });
    expect(res.status).toBe(413);
    const dry = await t.call("POST", "/api/import/archive?dryRun=true", {
      token: user.token,
      rawBody: archive,
    });
    expect(dry.status).toBe(422);
  });
});

test("nginx's limit for the archive import agrees with the API's default (1 GiB quota)", () => {
  const conf = readFileSync(join(import.meta.dir, "../../proxy/conf.d/taskplatform.conf"), "utf8");
  const block = /location = \/api\/import\/archive \{([^}]*)\}/.exec(conf)?.[1] ?? "";
  const size = Number(/client_max_body_size (\d+)m;/.exec(block)?.[1]);
  expect(size * 1024 * 1024).toBe(maxArchiveBytes(1024 * 1024 * 1024));
  expect(block).toContain("proxy_request_buffering off;");
  // The archive's JSON is no larger than a JSON import takes: the web app previews it through /api/import.
  expect(ARCHIVE_DOCUMENT_MAX_BYTES).toBe(MAX_BODY_BYTES);
});
