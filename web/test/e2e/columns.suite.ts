// End-to-end: columns per project (issue 18). An owner adds, renames, reorders (buttons and drag) and
// deletes columns while an editor watches live; the board by keyboard only (shortcuts, help overlay,
// column reorder); a phone at 375 px; axe in light and dark.
// Run: bun run --cwd web build && bun test ./web/test/e2e/columns.suite.ts
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import {
  card,
  createProject,
  newSession,
  type Session,
  type Stack,
  seriousOrWorse,
  signUp,
  startStack,
  uniqueEmail,
  until,
} from "./harness";

setDefaultTimeout(300_000);

let stack: Stack;
const sessions: Session[] = [];
const open = async (options?: Parameters<typeof newSession>[1]) => {
  const session = await newSession(stack, options);
  sessions.push(session);
  return session;
};

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  for (const s of sessions) {
    expect(s.foreign).toEqual([]);
    expect(s.errors).toEqual([]);
    await s.context.close().catch(() => {});
  }
  await stack?.stop();
});

/** The board's column names, in order. */
const columnNames = (page: Page) =>
  page
    .locator("section.column .column-head h2")
    .evaluateAll((heads) => heads.map((h) => h.firstChild?.textContent?.trim() ?? ""));
const waitForColumns = async (page: Page, names: string[]) => {
  let seen: string[] = [];
  try {
    await until(
      async () => {
        seen = await columnNames(page);
        return JSON.stringify(seen) === JSON.stringify(names);
      },
      `columns ${JSON.stringify(names)}`,
    );
  } catch {
    throw new Error(`columns ${JSON.stringify(seen)}, expected ${JSON.stringify(names)}`);
  }
};
const section = (page: Page, name: string) =>
  page.locator("section.column", {
    has: page.getByRole("heading", { level: 2, name: new RegExp(`^${name}\\b`) }),
  });

const addColumn = async (page: Page, name: string) => {
  await page.getByLabel("New column").fill(name);
  await page.getByRole("button", { name: "Add column" }).click();
  await section(page, name).waitFor();
};

async function ownerAndEditor() {
  const ada = await open();
  const bob = await open();
  const bobEmail = uniqueEmail("bob");
  await signUp(ada.page, "Ada", uniqueEmail("ada"));
  await signUp(bob.page, "Bob", bobEmail);
  const projectId = await createProject(ada.page, `Columns ${Date.now().toString(36)}`);
  await ada.page.getByRole("link", { name: "Settings", exact: true }).click();
  await ada.page.getByLabel("Email").fill(bobEmail);
  await ada.page.getByLabel("Role", { exact: true }).selectOption("editor");
  await ada.page.getByRole("button", { name: "Invite" }).click();
  await ada.page.locator(".member", { hasText: "Bob" }).waitFor();
  await ada.page.getByRole("link", { name: "Board" }).click();
  await bob.page.goto(`/projects/${projectId}`);
  await waitForColumns(bob.page, ["To do", "In progress", "Done"]);
  return { ada, bob, projectId };
}

describe("columns, two users live", () => {
  test("the owner adds, renames, reorders and deletes a column; the editor sees each change", async () => {
    const { ada, bob } = await ownerAndEditor();
    // The editor has no column controls.
    expect(await bob.page.getByLabel("New column").count()).toBe(0);
    expect(await bob.page.getByRole("button", { name: /^Column settings/ }).count()).toBe(0);

    await addColumn(ada.page, "Review");
    await waitForColumns(bob.page, ["To do", "In progress", "Done", "Review"]);

    // Rename with a WIP limit of 1.
    await ada.page.getByRole("button", { name: "Column settings for Review" }).click();
    const settings = ada.page.getByRole("dialog", { name: /Column “Review”/ });
    await settings.getByLabel("Name").fill("QA");
    await settings.getByLabel("WIP limit").fill("1");
    await settings.getByRole("button", { name: "Save" }).click();
    await settings.waitFor({ state: "detached" });
    await waitForColumns(bob.page, ["To do", "In progress", "Done", "QA"]);

    // Reorder with the buttons, then by dragging the header onto the first column.
    await ada.page.getByRole("button", { name: "Move QA left" }).click();
    await waitForColumns(bob.page, ["To do", "In progress", "QA", "Done"]);
    await ada.page.dragAndDrop(
      "section.column:has(h2:text-matches('^QA')) .column-head",
      "section.column:has(h2:text-matches('^To do'))",
    );
    await waitForColumns(ada.page, ["QA", "To do", "In progress", "Done"]);
    await waitForColumns(bob.page, ["QA", "To do", "In progress", "Done"]);

    // Bob moves two cards into QA by keyboard: over its limit of 1, both boards warn.
    for (const title of ["First", "Second"]) {
      await bob.page.getByLabel("New task title").fill(title);
      await bob.page.keyboard.press("Enter");
      await card(bob.page, title).locator("button:not([disabled])").waitFor();
      await card(bob.page, title).getByRole("button").focus();
      await bob.page.keyboard.press("Shift+ArrowLeft");
      await section(bob.page, "QA").locator(".card", { hasText: title }).waitFor();
    }
    await section(ada.page, "QA").locator(".card", { hasText: "Second" }).waitFor();
    for (const page of [ada.page, bob.page]) {
      await section(page, "QA").getByText("Over the limit of 1").waitFor();
      expect(await section(page, "QA").locator(".count").textContent()).toContain("2/1");
    }

    // Delete QA, its tasks going to Done: they are completed, on both boards.
    await ada.page.getByRole("button", { name: "Column settings for QA" }).click();
    const remove = ada.page.getByRole("dialog", { name: /Column “QA”/ });
    await remove.getByLabel("Move its 2 tasks to…").selectOption({ label: "Done" });
    await remove.getByRole("button", { name: "Delete column" }).click();
    await remove.waitFor({ state: "detached" });
    await waitForColumns(bob.page, ["To do", "In progress", "Done"]);
    for (const page of [ada.page, bob.page]) {
      await section(page, "Done").locator(".card", { hasText: "First" }).waitFor();
      await section(page, "Done").locator(".card", { hasText: "Second" }).waitFor();
    }
  });
});

describe("keyboard only", () => {
  test("shortcuts: ? help, n new task, / filter, e edit, Esc closes; columns reorder with the keyboard", async () => {
    const { page } = await open();
    await signUp(page, "Kim", uniqueEmail("kim"));
    await createProject(page, "Keys");
    // The project's heading comes with its layout, before the lazy board that listens for shortcuts:
    // keys start once the board is on screen, as a person's would.
    await waitForColumns(page, ["To do", "In progress", "Done"]);
    await page.locator("body").click({ position: { x: 5, y: 5 } });

    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    expect(await help.textContent()).toContain("New task");
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });

    await page.keyboard.press("n");
    const dialog = page.getByRole("dialog", { name: "New task" });
    await dialog.waitFor();
    await page.keyboard.type("Typed only");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await section(page, "To do").locator(".card", { hasText: "Typed only" }).waitFor();

    await page.keyboard.press("/");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("board-filter");
    await page.keyboard.type("nothing like it");
    await until(async () => (await page.locator(".card").count()) === 0, "the filter hiding the card");
    await page.keyboard.press("Escape");
    await card(page, "Typed only").waitFor();

    await card(page, "Typed only").locator("button:not([disabled])").waitFor();
    await card(page, "Typed only").getByRole("button").focus();
    await page.keyboard.press("e");
    const edit = page.getByRole("dialog", { name: "Edit task" });
    await edit.waitFor();
    await page.keyboard.press("Escape");
    await edit.waitFor({ state: "detached" });

    // Reorder a column from the keyboard: focus its Move right button, press Enter.
    await page.getByRole("button", { name: "Move To do right" }).focus();
    await page.keyboard.press("Enter");
    await waitForColumns(page, ["In progress", "To do", "Done"]);
    // Add a column by keyboard.
    await page.getByLabel("New column").focus();
    await page.keyboard.type("Blocked");
    await page.keyboard.press("Enter");
    await waitForColumns(page, ["In progress", "To do", "Done", "Blocked"]);
  });
});

describe("phone and accessibility", () => {
  test("375 px phone: the page stays 375 px wide, the board scrolls inside itself; settings fit", async () => {
    const { page } = await open({ phone: true, width: 375, height: 740 });
    await signUp(page, "Pia", uniqueEmail("pia"));
    await page.getByRole("button", { name: "Projects menu" }).tap();
    const projectId = await createProject(page, "Phone");
    for (const name of ["Review", "Blocked"]) await addColumn(page, name);
    await page.goto(`/projects/${projectId}`);
    await waitForColumns(page, ["To do", "In progress", "Done", "Review", "Blocked"]);
    const widths = await page.evaluate(() => ({
      page: Math.max(document.documentElement.scrollWidth, window.innerWidth),
      board: (document.querySelector(".board") as HTMLElement).scrollWidth,
      boardClient: (document.querySelector(".board") as HTMLElement).clientWidth,
    }));
    expect(widths.page).toBe(375);
    expect(widths.board).toBeGreaterThan(widths.boardClient);
    await page.getByRole("button", { name: "Column settings for Review" }).click();
    const settings = page.getByRole("dialog", { name: /Column “Review”/ });
    const save = settings.getByRole("button", { name: "Save" });
    await save.scrollIntoViewIfNeeded();
    const box = await save.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 375.5).toBe(true);
    await save.tap();
    await settings.waitFor({ state: "detached" });
    expect(await page.evaluate(() => Math.max(document.documentElement.scrollWidth, window.innerWidth))).toBe(
      375,
    );
  });

  for (const scheme of ["light", "dark"] as const) {
    test(`axe: the board with columns, the column settings and the shortcuts (${scheme})`, async () => {
      const { page } = await open({ colorScheme: scheme });
      await signUp(page, "Axe", uniqueEmail(`axe-${scheme}`));
      await createProject(page, `Axe ${scheme}`);
      await addColumn(page, "Review");
      await page.getByRole("button", { name: "Column settings for Review" }).click();
      const settings = page.getByRole("dialog", { name: /Column “Review”/ });
      await settings.getByLabel("WIP limit").fill("1");
      await settings.getByRole("button", { name: "Save" }).click();
      await settings.waitFor({ state: "detached" });
      for (const title of ["One", "Two"]) {
        await page.getByLabel("New task title").fill(title);
        await page.keyboard.press("Enter");
        await card(page, title).locator("button:not([disabled])").waitFor();
        await card(page, title).getByRole("button").focus();
        for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowRight");
        await section(page, "Review").locator(".card", { hasText: title }).waitFor();
      }
      await section(page, "Review").getByText("Over the limit of 1").waitFor();
      const check = async (what: string) => {
        expect({ what, bad: await seriousOrWorse(page) }).toEqual({ what, bad: [] });
      };
      await check("board");
      await page.getByRole("button", { name: "Column settings for Review" }).click();
      await page.getByRole("dialog", { name: /Column “Review”/ }).waitFor();
      await check("column settings");
      await page.keyboard.press("Escape");
      await page.getByRole("button", { name: /Shortcuts/ }).click();
      await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
      await check("shortcuts");
      await page.screenshot({ path: `web/screenshots/columns-${scheme}.png` }).catch(() => {});
    });
  }
});
