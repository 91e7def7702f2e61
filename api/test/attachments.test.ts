// Attachments on real PostgreSQL and Redis with the directory store: upload, list, download through
// signed links, safe serving, names, limits, quota, access, and the removal of bytes when an
// attachment, its task or its project is deleted (through the job queue).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

setDefaultTimeout(60_000);

const MAX_BYTES = 64 * 1024;
const QUOTA_BYTES = 200 * 1024;
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);

let t: TestApp;
let dir: string;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let projectId: string;

const newProject = async (name: string) =>
  (await t.call("POST", "/api/projects", { token: owner.token, body: { name } })).body.id as string;
const newTask = async (title: string, project = projectId) =>
  (await t.call("POST", "/api/tasks", { token: owner.token, body: { projectId: project, title } })).body
    .id as string;
const upload = (
  taskId: string,
  name: string,
  bytes: RequestInit["body"],
  token = editor.token,
  headers = {},
) =>
  t.call("POST", `/api/tasks/${taskId}/attachments?name=${encodeURIComponent(name)}`, {
    token,
    rawBody: bytes,
    headers: { "content-type": "application/octet-stream", ...headers },
  });
const download = (url: string) => t.app.request(url);
/** Every file under the attachments directory (partial ones included). */
const storedFiles = () =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
const metric = async (name: string, labels: string) => {
  const text = await t.metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return Number(line?.split(" ").at(-1) ?? 0);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tp-attachments-"));
  t = await createTestApp({
    ATTACHMENTS_DIR: dir,
    ATTACHMENTS_MAX_BYTES: String(MAX_BYTES),
    ATTACHMENTS_PROJECT_QUOTA_BYTES: String(QUOTA_BYTES),
  });
  [owner, editor, viewer, outsider] = await Promise.all([
    t.signUp("Owner"),
    t.signUp("Editor"),
    t.signUp("Viewer"),
    t.signUp("Outsider"),
  ]);
  projectId = await newProject("Files");
  for (const [user, role] of [
    [editor, "editor"],
    [viewer, "viewer"],
  ] as const) {
    await t.call("POST", `/api/projects/${projectId}/members`, {
      token: owner.token,
      body: { email: user.email, role },
    });
  }
}, 120_000);
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("upload, list, download", () => {
  test("an editor attaches a file; every member lists it and downloads the same bytes as an attachment", async () => {
    const taskId = await newTask("Report");
    const bytes = new TextEncoder().encode("quarterly numbers\n".repeat(100));
    const created = await upload(taskId, "report.txt", bytes);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      taskId,
      projectId,
      name: "report.txt",
      size: bytes.length,
      imageType: null,
    });
    expect(created.body.uploaderName).toBe("Editor");

    const list = await t.call("GET", `/api/tasks/${taskId}/attachments`, { token: viewer.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((a: { id: string }) => a.id)).toEqual([created.body.id]);
    expect(list.body.usage).toMatchObject({ quotaBytes: QUOTA_BYTES, maxFileBytes: MAX_BYTES });
    expect(list.body.usage.bytes).toBeGreaterThanOrEqual(bytes.length);

    const res = await download(list.body.items[0].url);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="report.txt"; filename*=UTF-8''report.txt`,
    );
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    expect(res.headers.get("x-accel-redirect")).toBeNull();

    const activity = await t.call("GET", `/api/tasks/${taskId}/activity`, { token: viewer.token });
    expect(activity.body.items[0]).toMatchObject({
      kind: "attachment.added",
      data: { attachmentId: created.body.id, name: "report.txt", size: bytes.length },
    });
    expect(await metric("attachment_bytes_total", 'direction="upload"')).toBeGreaterThanOrEqual(bytes.length);
  });

  test("a chunked upload without Content-Length is streamed and counted", async () => {
    const taskId = await newTask("Chunked");
    const chunk = new Uint8Array(4096).fill(7);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 5) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const created = await upload(taskId, "chunks.bin", body);
    expect(created.status).toBe(201);
    expect(created.body.size).toBe(5 * 4096);
  });

  test("only a real PNG/JPEG/GIF/WebP is served inline; HTML or SVG called .png stays a download", async () => {
    const taskId = await newTask("Images");
    const png = await upload(taskId, "photo.png", PNG, editor.token, { "content-type": "text/html" });
    expect(png.body.imageType).toBe("image/png");
    const pngRes = await download(png.body.url);
    expect(pngRes.headers.get("content-type")).toBe("image/png");
    expect(pngRes.headers.get("content-disposition")).toStartWith("inline;");

    for (const [name, text] of [
      ["evil.png", "<html><script>alert(1)</script></html>"],
      ["drawing.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ]) {
      const fake = await upload(taskId, name as string, text, editor.token, { "content-type": "image/png" });
      expect(fake.body.imageType).toBeNull();
      const res = await download(fake.body.url);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toStartWith("attachment;");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("names", () => {
  test("paths, controls and bidi overrides are removed; Unicode names are sent with RFC 5987 filename*", async () => {
    const taskId = await newTask("Names");
    const cases: [string, string][] = [
      ["../../etc/passwd", "passwd"],
      ["..\\..\\windows\\win.ini", "win.ini"],
      ["a\r\nSet-Cookie: x=1\r\n.txt", "aSet-Cookie: x=1.txt"],
      ["invoice\u202Egnp.exe", "invoicegnp.exe"],
      ["  ..hidden.  ", "hidden"],
      ["Überweisung “März” 😀.pdf", "Überweisung “März” 😀.pdf"],
      ["'; DROP TABLE attachments;--.txt", "'; DROP TABLE attachments;--.txt"],
      // Text, stored as given: SQL is parameterised and the web app renders names as text.
      ['<img src=x onerror="alert(1)">.html', '<img src=x onerror="alert(1)">.html'],
      [`${"x".repeat(400)}.pdf`, `${"x".repeat(250)}….pdf`],
    ];
    for (const [given, stored] of cases) {
      const res = await upload(taskId, given, "x");
      expect(res.status, given).toBe(201);
      expect(res.body.name, given).toBe(stored);
    }
    const unicode = (
      await t.call("GET", `/api/tasks/${taskId}/attachments`, { token: viewer.token })
    ).body.items.find((a: { name: string }) => a.name.startsWith("Überweisung"));
    const disposition = (await download(unicode.url)).headers.get("content-disposition") ?? "";
    expect(disposition).toBe(
      `attachment; filename="_berweisung _M_rz_ __.pdf"; filename*=UTF-8''${encodeURIComponent("Überweisung “März” 😀.pdf")}`,
    );
    expect(disposition).not.toMatch(/[\r\n]/);
  });

  test("a name with nothing usable, a NUL or none at all is a 422", async () => {
    const taskId = await newTask("Bad names");
    expect((await upload(taskId, "../..", "x")).status).toBe(422);
    expect((await upload(taskId, "\u202E", "x")).status).toBe(422);
    expect((await upload(taskId, "a\u0000b.txt", "x")).status).toBe(422);
    const noName = await t.call("POST", `/api/tasks/${taskId}/attachments`, {
      token: editor.token,
      rawBody: "x",
    });
    expect(noName.status).toBe(422);
    expect(noName.body.error.code).toBe("validation_failed");
    expect(storedFiles().some((f) => f.name.endsWith(".partial"))).toBe(false);
  });
});

describe("limits", () => {
  test("a file over ATTACHMENTS_MAX_BYTES is refused by its Content-Length, or while streaming without one; nothing is kept", async () => {
    const taskId = await newTask("Big");
    const before = storedFiles().length;
    const failuresBefore = await metric("attachment_upload_failures_total", 'reason="too_large"');
    const declared = await upload(taskId, "big.bin", new Uint8Array(MAX_BYTES + 1));
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe("payload_too_large");

    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 8192;
        controller.enqueue(new Uint8Array(8192));
        if (sent > MAX_BYTES * 4) controller.close();
      },
    });
    const streamed = await upload(taskId, "stream.bin", endless);
    expect(streamed.status).toBe(413);
    expect(storedFiles().length).toBe(before);
    expect(
      (await t.call("GET", `/api/tasks/${taskId}/attachments`, { token: editor.token })).body.items,
    ).toEqual([]);
    expect(await metric("attachment_upload_failures_total", 'reason="too_large"')).toBe(failuresBefore + 2);

    const exact = await upload(taskId, "exact.bin", new Uint8Array(MAX_BYTES));
    expect(exact.status).toBe(201);
  });

  test("the project's quota: an upload that would pass it is refused (413 quota_exceeded) and leaves nothing", async () => {
    const project = await newProject("Quota");
    const taskId = await newTask("Fill", project);
    for (let i = 0; i < 3; i++)
      expect((await upload(taskId, `part${i}`, new Uint8Array(60 * 1024), owner.token)).status).toBe(201);
    const before = storedFiles().length;
    const over = await upload(taskId, "over", new Uint8Array(30 * 1024), owner.token);
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe("quota_exceeded");
    expect(over.body.error.message).toContain("quota");
    expect(storedFiles().length).toBe(before);
    // Other projects have quotas of their own.
    expect((await upload(await newTask("Elsewhere"), "fine", new Uint8Array(30 * 1024))).status).toBe(201);
  });
});

describe("access", () => {
  test("viewers cannot attach or delete; outsiders get 404 for everything", async () => {
    const taskId = await newTask("Access");
    expect((await upload(taskId, "v.txt", "x", viewer.token)).status).toBe(403);
    const created = await upload(taskId, "e.txt", "x");
    const path = `/api/tasks/${taskId}/attachments/${created.body.id}`;
    expect((await t.call("DELETE", path, { token: viewer.token })).status).toBe(403);
    expect((await t.call("GET", path, { token: viewer.token })).status).toBe(200);
    for (const [method, p] of [
      ["GET", `/api/tasks/${taskId}/attachments`],
      ["GET", path],
      ["DELETE", path],
    ] as const) {
      expect((await t.call(method, p, { token: outsider.token })).status, `${method} ${p}`).toBe(404);
    }
    expect((await upload(taskId, "o.txt", "x", outsider.token)).status).toBe(404);
    // Another task's id with this attachment: 404 too.
    const other = await newTask("Other");
    expect(
      (await t.call("GET", `/api/tasks/${other}/attachments/${created.body.id}`, { token: owner.token }))
        .status,
    ).toBe(404);
  });

  test("download links: another user's, a tampered or expired one, or one after leaving the project → 404", async () => {
    const taskId = await newTask("Links");
    const created = await upload(taskId, "secret.txt", "top secret");
    const url = new URL(created.body.url, "http://x");
    expect((await download(created.body.url)).status).toBe(200);

    const outsiderLink = new URL(url);
    outsiderLink.searchParams.set("u", outsider.id);
    expect((await download(outsiderLink.pathname + outsiderLink.search)).status).toBe(404);
    const tampered = new URL(url);
    tampered.searchParams.set("s", `${"A".repeat(42)}B`);
    expect((await download(tampered.pathname + tampered.search)).status).toBe(404);
    const expired = new URL(url);
    expired.searchParams.set("e", "1000");
    expect((await download(expired.pathname + expired.search)).status).toBe(404);
    const injected = await download(`${url.pathname}?u=${outsider.id}'%20OR%201=1--&e=1&s=x`);
    expect(injected.status).toBe(422);

    // A member's link dies with the membership.
    const member = await t.signUp("Leaver");
    await t.call("POST", `/api/projects/${projectId}/members`, {
      token: owner.token,
      body: { email: member.email, role: "viewer" },
    });
    const link = (await t.call("GET", `/api/tasks/${taskId}/attachments`, { token: member.token })).body
      .items[0].url;
    expect((await download(link)).status).toBe(200);
    await t.call("DELETE", `/api/projects/${projectId}/members/${member.id}`, { token: owner.token });
    expect((await download(link)).status).toBe(404);
  });

  test("an archived task's attachments can be read but not changed (409)", async () => {
    const taskId = await newTask("Archived");
    const created = await upload(taskId, "keep.txt", "x");
    await t.call("POST", `/api/tasks/${taskId}/archive`, { token: owner.token });
    expect((await upload(taskId, "more.txt", "x")).status).toBe(409);
    expect(
      (await t.call("DELETE", `/api/tasks/${taskId}/attachments/${created.body.id}`, { token: editor.token }))
        .status,
    ).toBe(409);
    expect((await download(created.body.url)).status).toBe(200);
  });
});

describe("deleting removes the bytes (through the job queue)", () => {
  const fileOf = (attachment: { projectId: string; id: string }) =>
    join(dir, attachment.projectId, attachment.id);

  test("deleting an attachment: 204, an activity entry, and the file is gone once the job ran", async () => {
    const taskId = await newTask("Delete one");
    const created = (await upload(taskId, "gone.txt", "bye")).body;
    expect(existsSync(fileOf(created))).toBe(true);
    expect(
      (await t.call("DELETE", `/api/tasks/${taskId}/attachments/${created.id}`, { token: editor.token }))
        .status,
    ).toBe(204);
    const [job] =
      await t.sql`SELECT kind, payload FROM jobs WHERE key = ${`attachment.remove-blob:${created.id}`}`;
    expect(job).toMatchObject({
      kind: "attachment.remove-blob",
      payload: { storageKey: `${created.projectId}/${created.id}` },
    });
    await t.jobs.drain();
    expect(existsSync(fileOf(created))).toBe(false);
    expect((await download(created.url)).status).toBe(404);
    const activity = await t.call("GET", `/api/tasks/${taskId}/activity`, { token: viewer.token });
    expect(activity.body.items[0]).toMatchObject({ kind: "attachment.deleted", data: { name: "gone.txt" } });
  });

  test("deleting a task or a project removes every file of theirs, and only theirs", async () => {
    const keep = (await upload(await newTask("Keep"), "keep.txt", "stay")).body;
    const taskId = await newTask("Delete task");
    const ofTask = [(await upload(taskId, "a.txt", "a")).body, (await upload(taskId, "b.txt", "b")).body];
    const project = await newProject("Doomed");
    const ofProject = [
      (await upload(await newTask("p1", project), "c.txt", "c", owner.token)).body,
      (await upload(await newTask("p2", project), "d.txt", "d", owner.token)).body,
    ];
    for (const a of [...ofTask, ...ofProject]) expect(existsSync(fileOf(a))).toBe(true);

    expect((await t.call("DELETE", `/api/tasks/${taskId}`, { token: owner.token })).status).toBe(204);
    expect((await t.call("DELETE", `/api/projects/${project}`, { token: owner.token })).status).toBe(204);
    await t.jobs.drain();
    for (const a of [...ofTask, ...ofProject]) expect(existsSync(fileOf(a))).toBe(false);
    expect(existsSync(fileOf(keep))).toBe(true);
  });

  test("a rolled-back delete queues nothing", async () => {
    const created = (await upload(await newTask("Rollback"), "stay.txt", "x")).body;
    await t.sql
      .begin(async (tx) => {
        await tx`DELETE FROM attachments WHERE id = ${created.id}`;
        throw new Error("roll back");
      })
      .catch(() => {});
    expect(
      (await t.sql`SELECT 1 FROM jobs WHERE key = ${`attachment.remove-blob:${created.id}`}`).length,
    ).toBe(0);
    await t.jobs.drain();
    expect(existsSync(fileOf(created))).toBe(true);
  });
});

test("other JSON routes still refuse non-JSON bodies (the upload route alone streams)", async () => {
  const res = await t.call("POST", "/api/projects", {
    token: owner.token,
    rawBody: "name=x",
    headers: { "content-type": "application/octet-stream" },
  });
  expect(res.status).toBe(415);
});

describe("export and import (format 4: metadata only; the bytes are in the backup)", () => {
  test("the export lists each task's attachments; a restore keeps them, a copy creates none", async () => {
    const user = await t.signUp("Exporter");
    const project = (await t.call("POST", "/api/projects", { token: user.token, body: { name: "Exported" } }))
      .body.id as string;
    const taskId = (
      await t.call("POST", "/api/tasks", { token: user.token, body: { projectId: project, title: "T" } })
    ).body.id as string;
    const png = (await upload(taskId, "shot.png", PNG, user.token)).body;
    const text = (await upload(taskId, "notes.txt", "n", user.token)).body;

    const exported = (await t.call("GET", "/api/export", { token: user.token })).body;
    expect(exported.version).toBe(4);
    expect(exported.projects[0].tasks[0].attachments).toEqual([
      {
        id: png.id,
        name: "shot.png",
        size: PNG.length,
        imageType: "image/png",
        uploaderEmail: user.email,
        createdAt: png.createdAt,
      },
      {
        id: text.id,
        name: "notes.txt",
        size: 1,
        imageType: null,
        uploaderEmail: user.email,
        createdAt: text.createdAt,
      },
    ]);

    const restored = await t.call("POST", "/api/import?mode=restore", { token: user.token, body: exported });
    expect(restored.status).toBe(201);
    expect((await t.call("GET", "/api/export", { token: user.token })).body.projects).toEqual(
      exported.projects,
    );
    expect((await download(png.url)).status).toBe(200);

    const other = await t.signUp("Copier");
    expect((await t.call("POST", "/api/import", { token: other.token, body: exported })).status).toBe(201);
    const copy = (await t.call("GET", "/api/export", { token: other.token })).body;
    expect(copy.projects[0].tasks[0].title).toBe("T");
    expect(copy.projects[0].tasks[0].attachments).toBeUndefined();

    const bad = structuredClone(exported);
    bad.projects[0].tasks[0].attachments[0].name = "";
    bad.projects[0].tasks[0].attachments[1].size = -1;
    const refused = await t.call("POST", "/api/import", { token: other.token, body: bad });
    expect(refused.status).toBe(422);
  });
});
