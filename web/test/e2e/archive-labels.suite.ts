// End-to-end: archive instead of delete, and managed labels. Two users live (an archived task leaves
// the other's board, a restore brings it back; a label renamed in settings changes on the other's
// cards), keyboard only, a 375 px phone, and axe in light and dark.
// Run: bun run --cwd web build && bun test ./web/test/e2e/archive-labels.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Locator, Page } from "playwright-core";
import {
  addMember,
  call,
  createProject,
  PASSWORD,
  signUp as signUpByApi,
  type User,
} from "../../../api/test/support/client.ts";
import { LABEL_COLORS } from "../../src/api/types";
import { card, seriousOrWorse, signIn, suiteStack, tabTo, until } from "./harness";

setDefaultTimeout(300_000);

const suite = suiteStack();
/** The API itself, for set-up calls. */
const api = () => suite.stack().apiUrl;
const { open } = suite;

const addTask = async (user: User, projectId: string, title: string, labels: string[] = []) => {
  const reply = await call(api(), "POST", "/api/tasks", {
    token: user.token,
    body: { projectId, title, labels },
  });
  expect(reply.status).toBe(201);
  return reply.body as { id: string };
};

/** An owner and an editor of one project with a few labelled tasks. */
async function seed(name: string) {
  const owner = await signUpByApi(api(), "owner");
  const editor = await signUpByApi(api(), "editor");
  const projectId = await createProject(api(), owner, name);
  await addMember(api(), owner, projectId, editor, "editor");
  await addTask(owner, projectId, "Fix the login bug", ["bug", "web"]);
  await addTask(owner, projectId, "Plan the release", ["release"]);
  await addTask(owner, projectId, "Old idea");
  return { owner, editor, projectId };
}

async function onBoard(page: Page, user: User, projectId: string) {
  await signIn(page, user.email, PASSWORD);
  await page.goto(`/projects/${projectId}`);
  await card(page, "Plan the release").waitFor();
  await until(async () => (await page.getByTestId("live-state").textContent()) === "Live", "live");
}

const chipClass = (page: Page, text: string) =>
  page.locator(".card .label", { hasText: text }).first().getAttribute("class");

describe("two users live", () => {
  test("an editor archives a task: it leaves both boards, Undo brings it back; the owner restores it from Archived", async () => {
    const { owner, editor, projectId } = await seed("Live archive");
    const ann = await open();
    const ed = await open();
    await onBoard(ann.page, owner, projectId);
    await onBoard(ed.page, editor, projectId);

    // Editors archive; only owners delete.
    await card(ed.page, "Old idea").getByRole("button").click();
    const dialog = ed.page.getByRole("dialog", { name: "Edit task" });
    await dialog.waitFor();
    expect(await dialog.getByRole("button", { name: "Delete" }).count()).toBe(0);
    await dialog.getByRole("button", { name: "Archive" }).click();
    await card(ed.page, "Old idea").waitFor({ state: "detached" });
    await card(ann.page, "Old idea").waitFor({ state: "detached", timeout: 15_000 });
    await ed.page.getByRole("button", { name: "Undo" }).click();
    await card(ed.page, "Old idea").waitFor();
    await card(ann.page, "Old idea").waitFor({ timeout: 15_000 });

    // Archived for good this time; the owner finds it under Archived and restores it.
    await card(ed.page, "Old idea").getByRole("button").click();
    await dialog.getByRole("button", { name: "Archive" }).click();
    await card(ann.page, "Old idea").waitFor({ state: "detached", timeout: 15_000 });
    await ann.page.getByRole("link", { name: "Archived", exact: true }).click();
    const item = ann.page.locator(".archived-item", { hasText: "Old idea" });
    await item.waitFor();
    await item.getByRole("button", { name: "Restore “Old idea”" }).click();
    await item.waitFor({ state: "detached" });
    await card(ed.page, "Old idea").waitFor({ timeout: 15_000 });

    // The owner deletes an archived task for good, after a confirmation.
    await card(ed.page, "Old idea").getByRole("button").click();
    await dialog.getByRole("button", { name: "Archive" }).click();
    await item.waitFor({ timeout: 15_000 });
    await item.getByRole("button", { name: "Delete “Old idea”" }).click();
    await ann.page.getByRole("alertdialog").getByRole("button", { name: "Delete task" }).click();
    await item.waitFor({ state: "detached" });
    const left = await call(api(), "GET", `/api/tasks?projectId=${projectId}&archived=include`, {
      token: owner.token,
    });
    expect(left.body.items.map((task: { title: string }) => task.title).sort()).toEqual([
      "Fix the login bug",
      "Plan the release",
    ]);
  });

  test("the owner renames and recolours a label in settings: the other's cards change live; a delete takes it off", async () => {
    const { owner, editor, projectId } = await seed("Live labels");
    const ann = await open();
    const ed = await open();
    await onBoard(ann.page, owner, projectId);
    await onBoard(ed.page, editor, projectId);
    expect(await chipClass(ed.page, "bug")).toContain("chip-slate");

    await ann.page.getByRole("link", { name: "Settings", exact: true }).click();
    const row = ann.page.getByRole("form", { name: "Label bug" });
    await row.getByLabel("Name").fill("defect");
    await row.getByLabel("Colour").selectOption("red");
    await row.getByRole("button", { name: "Save" }).click();
    await ann.page.getByRole("form", { name: "Label defect" }).waitFor();

    await until(
      async () => (await card(ed.page, "Fix the login bug").textContent())?.includes("defect") ?? false,
      "the renamed label on the editor's card",
      15_000,
    );
    await until(
      async () => (await chipClass(ed.page, "defect"))?.includes("chip-red") ?? false,
      "the new colour on the editor's card",
      15_000,
    );

    // A new label from settings, then deleted with a confirmation.
    await ann.page.getByLabel("New label").fill("ops");
    await ann.page.getByLabel("Colour").last().selectOption("teal");
    await ann.page.getByRole("button", { name: "Add label" }).click();
    await ann.page.getByRole("form", { name: "Label ops" }).waitFor();
    await ann.page.getByRole("button", { name: "Delete label web" }).click();
    await ann.page.getByRole("alertdialog").getByRole("button", { name: "Delete label" }).click();
    await ann.page.getByRole("form", { name: "Label web" }).waitFor({ state: "detached" });
    await until(
      async () => !((await card(ed.page, "Fix the login bug").textContent()) ?? "").includes("web"),
      "the deleted label off the editor's card",
      15_000,
    );

    // Tagging suggests the project's labels; a new name creates a label.
    await card(ed.page, "Plan the release").getByRole("button").click();
    const dialog = ed.page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Labels").fill("release, o");
    await until(
      async () =>
        (
          await ed.page
            .locator("#task-labels-options option")
            .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))
        ).includes("release, ops"),
      "the suggestion",
    );
    await dialog.getByLabel("Labels").fill("release, ops, brand new");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await ann.page.getByRole("form", { name: "Label brand new" }).waitFor({ timeout: 15_000 });
    expect(await chipClass(ed.page, "ops")).toContain("chip-teal");
  });

  test("an owner archives the project: read-only for members, listed under Archived; restore", async () => {
    const { owner, editor, projectId } = await seed("Shelved project");
    const ann = await open();
    const ed = await open();
    await onBoard(ann.page, owner, projectId);
    await onBoard(ed.page, editor, projectId);
    await ann.page.getByRole("link", { name: "Settings", exact: true }).click();
    await ann.page.getByRole("button", { name: "Archive project" }).click();
    await ed.page.getByText("This project is archived").waitFor({ timeout: 15_000 });
    await ed.page.getByRole("list", { name: "Archived" }).getByText("Shelved project").waitFor();
    expect(await ed.page.getByLabel("New task title").count()).toBe(0);
    await ann.page.getByRole("button", { name: "Restore project" }).click();
    await ed.page.getByText("This project is archived").waitFor({ state: "detached", timeout: 15_000 });
    await ed.page.getByLabel("New task title").waitFor();
  });
});

describe("the list", () => {
  test("hides archived tasks unless asked; search finds them with Archived: Included", async () => {
    const { owner, projectId } = await seed("Search archive");
    const old = await addTask(owner, projectId, "Old budget notes");
    await call(api(), "POST", `/api/tasks/${old.id}/archive`, { token: owner.token });
    const { page } = await open();
    await signIn(page, owner.email, PASSWORD);
    await page.goto(`/projects/${projectId}/list?q=budget`);
    await page.getByRole("heading", { name: "No matching tasks" }).waitFor();
    await page.getByLabel("Archived").selectOption("include");
    const row = page.getByRole("row", { name: /Old budget notes/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("archived");
    expect(page.url()).toContain("archived=include");
    // Label chips in their colours in the list too.
    await page.getByLabel("Archived").selectOption("");
    await page.getByLabel("Search").fill("");
    await page.goto(`/projects/${projectId}/list`);
    await page.locator(".tasks-table .label", { hasText: "release" }).waitFor();
  });
});

describe("keyboard only", () => {
  test("archive from the dialog, Undo, the Archived view and restore, with Tab and Enter", async () => {
    const { owner, projectId } = await seed("Keyboard");
    const { page } = await open();
    await onBoard(page, owner, projectId);
    await tabTo(page, /^Old idea/);
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.waitFor();
    await tabTo(page, "Archive");
    await page.keyboard.press("Enter");
    await card(page, "Old idea").waitFor({ state: "detached" });
    await tabTo(page, "Undo");
    await page.keyboard.press("Enter");
    await card(page, "Old idea").waitFor();

    await tabTo(page, /^Old idea/);
    await page.keyboard.press("Enter");
    await tabTo(page, "Archive");
    await page.keyboard.press("Enter");
    await card(page, "Old idea").waitFor({ state: "detached" });
    await tabTo(page, "Archived");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Archived tasks" }).waitFor();
    await tabTo(page, "Restore “Old idea”");
    await page.keyboard.press("Enter");
    await page.locator(".archived-item", { hasText: "Old idea" }).waitFor({ state: "detached" });
    await tabTo(page, "Board");
    await page.keyboard.press("Enter");
    await card(page, "Old idea").waitFor();
  });
});

describe("a 375 px phone", () => {
  const width = (page: Page) =>
    page.evaluate(() => Math.max(document.documentElement.scrollWidth, window.innerWidth));
  const onScreen = async (page: Page, target: Locator, what: string) => {
    await target.scrollIntoViewIfNeeded();
    const box = await target.boundingBox();
    const height = await page.evaluate(() => window.visualViewport?.height ?? window.innerHeight);
    if (!box || box.x < 0 || box.y < 0 || box.x + box.width > 375.5 || box.y + box.height > height + 0.5)
      throw new Error(`${what} is off screen: ${JSON.stringify(box)}`);
  };

  test("the dialog's Archive, the Archived view and the label manager fit and can be tapped", async () => {
    const { owner, projectId } = await seed("Pocket");
    const { page } = await open({ phone: true, width: 375, height: 740 });
    await signIn(page, owner.email, PASSWORD);
    await page.goto(`/projects/${projectId}`);
    await card(page, "Old idea").waitFor();
    expect(await width(page)).toBe(375);
    await card(page, "Old idea").getByRole("button").tap();
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await onScreen(page, dialog.getByRole("button", { name: "Archive" }), "Archive");
    await dialog.getByRole("button", { name: "Archive" }).tap();
    await card(page, "Old idea").waitFor({ state: "detached" });
    await onScreen(page, page.getByRole("button", { name: "Undo" }), "the Undo toast");

    await page.goto(`/projects/${projectId}/archived`);
    const item = page.locator(".archived-item", { hasText: "Old idea" });
    await item.waitFor();
    expect(await width(page)).toBe(375);
    await onScreen(page, item.getByRole("button", { name: "Restore “Old idea”" }), "Restore");
    await item.getByRole("button", { name: "Restore “Old idea”" }).tap();
    await item.waitFor({ state: "detached" });

    await page.goto(`/projects/${projectId}/settings`);
    const row = page.getByRole("form", { name: "Label bug" });
    await row.waitFor();
    expect(await width(page)).toBe(375);
    await onScreen(page, row.getByRole("button", { name: "Delete label bug" }), "Delete label");
    await onScreen(page, page.getByRole("button", { name: "Archive project" }), "Archive project");
  });
});

describe("accessibility", () => {
  for (const scheme of ["light", "dark"] as const) {
    test(`board with label chips, task dialog, Archived view, label manager: no serious or critical axe violations (${scheme})`, async () => {
      const { owner, projectId } = await seed(`Axe ${scheme}`);
      // Every palette colour on a card.
      for (const color of LABEL_COLORS) {
        await call(api(), "POST", `/api/projects/${projectId}/labels`, {
          token: owner.token,
          body: { name: color, color },
        });
      }
      await addTask(owner, projectId, "Every colour", LABEL_COLORS);
      const archived = await addTask(owner, projectId, "Archived one");
      await call(api(), "POST", `/api/tasks/${archived.id}/archive`, { token: owner.token });

      const { page } = await open({ colorScheme: scheme });
      const failures: string[] = [];
      const check = async (name: string) => {
        for (const v of await seriousOrWorse(page)) failures.push(`${name} [${scheme}] ${v}`);
      };
      await onBoard(page, owner, projectId);
      await card(page, "Every colour").waitFor();
      await check("board");
      await card(page, "Fix the login bug").getByRole("button").click();
      await page.getByRole("dialog", { name: "Edit task" }).waitFor();
      await check("task dialog");
      await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
      await page.getByRole("alertdialog").waitFor();
      await check("delete confirmation");
      await page.keyboard.press("Escape");
      await page.keyboard.press("Escape");
      await page.goto(`/projects/${projectId}/archived`);
      await page.locator(".archived-item", { hasText: "Archived one" }).waitFor();
      await check("archived view");
      await page.goto(`/projects/${projectId}/settings`);
      await page.getByRole("form", { name: "Label pink" }).waitFor();
      await check("project settings with labels");
      expect(failures).toEqual([]);
    });
  }
});
