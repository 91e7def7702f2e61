// End-to-end: attachments in the task dialog, in real Chromium through the real nginx (downloads are
// sent by nginx after the API's X-Accel-Redirect) and a real API process. An editor on a 375 px phone
// attaches with the keyboard (the file chooser) and by dropping files on the dialog, downloads and
// deletes; a viewer sees the new file arrive live, downloads it, and cannot attach or delete. A project
// moved by "Export with files" and "Import data" into another account keeps its files, byte for byte.
// Run: bun run --cwd web build && bun test ./web/test/e2e/attachments.suite.ts
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  addMember,
  createProject,
  createTask,
  PASSWORD,
  signUp as signUpByApi,
  type User,
} from "../../../api/test/support/client.ts";
import { card, repoRoot, seriousOrWorse, signIn, suiteStack, until } from "./harness";

setDefaultTimeout(180_000);

const { stack, open } = suiteStack({ nginx: true });
/** A real 1×1 PNG: the thumbnail must decode. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const NOTES = "Meeting notes — ünïcode\n".repeat(50);

let ada: User;
let bob: User;
let projectId: string;
const title = "Quarterly report";

beforeAll(async () => {
  const api = stack().apiUrl;
  ada = await signUpByApi(api, "ada");
  bob = await signUpByApi(api, "bob");
  projectId = await createProject(api, ada, "Files");
  await addMember(api, ada, projectId, bob, "viewer");
  expect((await createTask(api, ada, projectId, title)).status).toBe(201);
});

async function openTask(user: User, options: Parameters<typeof open>[0] = {}) {
  const session = await open(options);
  await signIn(session.page, user.email, PASSWORD);
  await session.page.goto(`/projects/${projectId}`);
  await session.page.getByTestId("live-state").filter({ hasText: "Live" }).waitFor({ timeout: 10_000 });
  await card(session.page, title).locator("button.card-open").click();
  const dialog = session.page.getByRole("dialog");
  await dialog.getByRole("heading", { name: /Attachments/ }).waitFor();
  return { page: session.page, dialog };
}

const attachment = (page: Page, name: string) => page.locator("dialog .attachment", { hasText: name });

describe("attachments", () => {
  test("an editor on a phone attaches (file chooser by keyboard, and drag and drop), downloads and deletes; a viewer follows live and cannot change anything", async () => {
    const editor = await openTask(ada, { width: 375, height: 740, phone: true });
    const viewer = await openTask(bob);

    // Keyboard: Tab to "Attach files", Enter opens the file chooser. The list (and the project's usage)
    // loaded first, and the button still has the focus when Enter goes down.
    await editor.dialog.getByText(/used in this project/).waitFor();
    const attachButton = editor.dialog.getByRole("button", { name: "Attach files" });
    await attachButton.focus();
    await until(
      () => attachButton.evaluate((button) => button === document.activeElement),
      "the Attach files button to have the focus",
    );
    const [chooser] = await Promise.all([
      editor.page.waitForEvent("filechooser"),
      editor.page.keyboard.press("Enter"),
    ]);
    await chooser.setFiles([
      { name: "chart.png", mimeType: "image/png", buffer: PNG },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from(NOTES) },
    ]);
    await attachment(editor.page, "notes.txt").waitFor();
    await attachment(editor.page, "chart.png").waitFor();
    expect(await attachment(editor.page, "notes.txt").textContent()).toContain(
      `${(Buffer.byteLength(NOTES) / 1024).toFixed(1)} KB`,
    );
    // The thumbnail decoded (served inline: a PNG by its bytes).
    await editor.page.waitForFunction(() => {
      const img = document.querySelector("dialog .attachment-thumb") as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth === 1;
    });

    // Dropping a file on the dialog attaches it.
    const dataTransfer = await editor.page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(["dropped bytes"], "dropped.txt", { type: "text/plain" }));
      return data;
    });
    await editor.dialog.dispatchEvent("dragover", { dataTransfer });
    await editor.dialog.dispatchEvent("drop", { dataTransfer });
    await attachment(editor.page, "dropped.txt").waitFor();

    // The viewer's open dialog shows them live; the viewer downloads the notes, byte for byte.
    await attachment(viewer.page, "dropped.txt").waitFor();
    await attachment(viewer.page, "notes.txt").waitFor();
    const [download] = await Promise.all([
      viewer.page.waitForEvent("download"),
      attachment(viewer.page, "notes.txt").getByRole("link", { name: "notes.txt" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("notes.txt");
    expect(readFileSync((await download.path()) as string, "utf8")).toBe(NOTES);
    // nginx sent the bytes from the attachments directory (X-Accel-Redirect).
    expect(stack().proxyLogs()).toMatch(/"path":"\/_attachments\/[0-9a-f-]+\/[0-9a-f-]+","status":200/);

    // A viewer cannot attach or delete, and a drop does nothing.
    expect(await viewer.dialog.getByRole("button", { name: "Attach files" }).count()).toBe(0);
    expect(await viewer.dialog.getByRole("button", { name: /^Delete “/ }).count()).toBe(0);
    const viewerDrop = await viewer.page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(["nope"], "viewer.txt", { type: "text/plain" }));
      return data;
    });
    await viewer.dialog.dispatchEvent("drop", { dataTransfer: viewerDrop });

    // The editor deletes the dropped file; it leaves both dialogs.
    await editor.dialog.getByRole("button", { name: "Delete “dropped.txt”" }).click();
    await attachment(editor.page, "dropped.txt").waitFor({ state: "detached" });
    await attachment(viewer.page, "dropped.txt").waitFor({ state: "detached" });
    expect(await attachment(viewer.page, "viewer.txt").count()).toBe(0);

    // Nothing overflows the phone; the dialog passes axe.
    const overflow = await editor.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await seriousOrWorse(editor.page)).toEqual([]);
    await editor.page.screenshot({ path: join(repoRoot, "docs/screenshots/attachments-phone.png") });
  });

  test("a file over the limit is refused with a sentence, before anything is sent", async () => {
    const editor = await openTask(ada);
    const big = Buffer.alloc(25 * 1024 * 1024 + 1);
    await editor.page
      .locator("#attachment-input")
      .setInputFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: big });
    await editor.dialog.getByRole("alert").filter({ hasText: "“huge.bin” is larger than 25 MB" }).waitFor();
    expect(await attachment(editor.page, "huge.bin").count()).toBe(0);
  });
});

describe("export with files", () => {
  test("an exported archive imported by someone else brings the project back with its file, byte for byte", async () => {
    const api = stack().apiUrl;
    const [eve, fay] = [await signUpByApi(api, "eve"), await signUpByApi(api, "fay")];
    const moving = await createProject(api, eve, "Moving house");
    const task = await createTask(api, eve, moving, "Boxes");
    const bytes = Buffer.from(Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919 + 13) % 256));
    const uploaded = await fetch(`${api}/api/tasks/${task.body.id}/attachments?name=inventory.bin`, {
      method: "POST",
      headers: { authorization: `Bearer ${eve.token}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(uploaded.status).toBe(201);

    const exporter = await open();
    await signIn(exporter.page, eve.email, PASSWORD);
    await exporter.page.goto("/settings");
    const [archive] = await Promise.all([
      exporter.page.waitForEvent("download"),
      exporter.page.getByRole("button", { name: "Export with files" }).click(),
    ]);
    expect(archive.suggestedFilename()).toMatch(/^taskplatform-export-.*\.tar$/);

    const importer = await open();
    await signIn(importer.page, fay.email, PASSWORD);
    await importer.page.goto("/settings");
    await importer.page.locator('input[type="file"]').setInputFiles((await archive.path()) as string);
    await importer.page.getByText("This will create 1 new project with 1 task").waitFor();
    await importer.page.getByRole("button", { name: "Import as a copy" }).click();
    await importer.page.getByText("Import finished: created 1 project with 1 task.").waitFor();
    await importer.page.getByRole("link", { name: /Moving house/ }).click();
    await card(importer.page, "Boxes").locator("button.card-open").click();
    const dialog = importer.page.getByRole("dialog");
    await attachment(importer.page, "inventory.bin").waitFor();
    const [download] = await Promise.all([
      importer.page.waitForEvent("download"),
      dialog.getByRole("link", { name: "inventory.bin" }).click(),
    ]);
    expect(readFileSync((await download.path()) as string).equals(bytes)).toBe(true);
  });
});
