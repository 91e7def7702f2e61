// End-to-end: columns per project (issue 18). An owner adds, renames, reorders (buttons and drag) and
// deletes columns while an editor watches live; the task dialog's column picker; the open-checklist
// filter on the board and the list; the board by keyboard only (shortcuts, help overlay, card moves,
// column reorder); a phone at 375 px; axe in light and dark; the README's screenshots.
// Run: bun run --cwd web build && bun test ./web/test/e2e/columns.suite.ts
// The README's screenshots (docs/screenshots/board.png, task-dialog.png) are written by the last test;
// with UPDATE_DOCS_SCREENSHOTS=1 into docs/screenshots/, otherwise into web/screenshots/ (git-ignored).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  PASSWORD as API_PASSWORD,
  addMember,
  call,
  createProject as createProjectByApi,
  createTask,
  signUp as signUpByApi,
  type User,
} from "../../../api/test/support/client.ts";
import {
  card,
  createProject,
  docsScreenshotDir,
  seriousOrWorse,
  signIn,
  signUp,
  suiteStack,
  uniqueEmail,
  until,
} from "./harness";

setDefaultTimeout(300_000);

const suite = suiteStack();
/** The API itself, for set-up calls. */
const api = () => suite.stack().apiUrl;
const { open } = suite;

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

describe("the task dialog's column picker", () => {
  test("an editor moves a task into a custom column from the dialog (the column move API), live for the owner; + starts a new task in its column", async () => {
    const { ada, bob } = await ownerAndEditor();
    await addColumn(ada.page, "Review");
    await waitForColumns(bob.page, ["To do", "In progress", "Done", "Review"]);

    await bob.page.getByLabel("New task title").fill("Picked");
    await bob.page.keyboard.press("Enter");
    await card(bob.page, "Picked").locator("button:not([disabled])").waitFor();
    await card(bob.page, "Picked").getByRole("button").click();
    const dialog = bob.page.getByRole("dialog", { name: "Edit task" });
    const picker = dialog.getByLabel("Column", { exact: true });
    await picker.waitFor();
    expect(await picker.locator("option").allTextContents()).toEqual([
      "To do",
      "In progress",
      "Done",
      "Review",
    ]);
    expect(await picker.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text)).toBe("To do");
    await picker.selectOption({ label: "Review" });
    await dialog.getByLabel("Priority").selectOption("urgent");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    for (const page of [bob.page, ada.page]) {
      const moved = section(page, "Review").locator(".card", { hasText: "Picked" });
      await moved.waitFor();
      await moved.getByText("Urgent").waitFor();
    }
    // Reopened, the dialog shows the task's new column.
    await card(bob.page, "Picked").getByRole("button").click();
    expect(
      await dialog
        .getByLabel("Column", { exact: true })
        .evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text),
    ).toBe("Review");
    // The history says "moved" (the column move API), not a status edit, and names the columns.
    await dialog.getByText("moved the task from “To do” to “Review”").waitFor();
    await bob.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    // A column's + opens a new task in that column.
    await bob.page.getByRole("button", { name: "Add task to Review" }).click();
    const fresh = bob.page.getByRole("dialog", { name: "New task" });
    expect(
      await fresh
        .getByLabel("Column", { exact: true })
        .evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text),
    ).toBe("Review");
    await fresh.getByLabel("Title").fill("Straight to review");
    await fresh.getByRole("button", { name: "Create task" }).click();
    await fresh.waitFor({ state: "detached" });
    await section(ada.page, "Review").locator(".card", { hasText: "Straight to review" }).waitFor();
    await section(bob.page, "Review").locator(".card", { hasText: "Straight to review" }).waitFor();
  });
});

describe("open checklist items", () => {
  test("the board's toggle and the list's Checklist filter show tasks with unticked items, and follow a tick live", async () => {
    const owner = await signUpByApi(api(), "Olga");
    const project = await createProjectByApi(api(), owner, "Checklists");
    const ids: Record<string, string> = {};
    for (const title of ["Has open items", "All ticked", "No checklist"])
      ids[title] = (await createTask(api(), owner, project, title)).body.id;
    const item = async (title: string, text: string, done: boolean) =>
      (
        await call(api(), "POST", `/api/tasks/${ids[title]}/checklist`, {
          token: owner.token,
          body: { text, done },
        })
      ).body.id as string;
    const openItem = await item("Has open items", "Write it", false);
    await item("Has open items", "Plan it", true);
    await item("All ticked", "Done already", true);

    const { page } = await open();
    await signIn(page, owner.email, API_PASSWORD);
    await page.goto(`/projects/${project}`);
    await card(page, "No checklist").waitFor();
    await page.getByTestId("live-state").filter({ hasText: "Live" }).waitFor();
    const titles = () => page.locator(".card .card-title").allTextContents();
    await page.getByLabel("Open checklist items").check();
    await until(
      async () => JSON.stringify(await titles()) === '["Has open items"]',
      "only the open checklist",
    );
    await page.getByLabel("Open checklist items").uncheck();
    await until(async () => (await titles()).length === 3, "every card again");
    await page.getByLabel("Open checklist items").check();

    // The list: the filter is in the URL; the server filters (hasOpenChecklist=true).
    await page.getByRole("link", { name: "List", exact: true }).click();
    await page.getByLabel("Checklist", { exact: true }).selectOption({ label: "Open items" });
    await until(async () => page.url().includes("hasOpenChecklist=true"), "the filter in the URL");
    const rows = () => page.locator(".tasks-table tbody th button.link").allTextContents();
    await until(async () => JSON.stringify(await rows()) === '["Has open items"]', "one row");
    // The list shows the checklist progress too.
    await page.locator(".tasks-table tbody th", { hasText: "Has open items" }).getByText("1/2").waitFor();
    await page.getByLabel("Checklist", { exact: true }).selectOption({ label: "None open" });
    await until(async () => (await rows()).join() === "All ticked,No checklist", "the two others");
    await page.getByLabel("Checklist", { exact: true }).selectOption({ label: "Open items" });
    await until(async () => JSON.stringify(await rows()) === '["Has open items"]', "one row again");

    // Its last open item ticked elsewhere: the list (refetched live, not served from a stale cache)
    // and the board leave it out.
    await call(api(), "PATCH", `/api/tasks/${ids["Has open items"]}/checklist/${openItem}`, {
      token: owner.token,
      body: { done: true },
    });
    await page.getByText("No matching tasks").waitFor();
    await page.getByRole("link", { name: "Board", exact: true }).click();
    await card(page, "All ticked").waitFor();
    await page.getByLabel("Open checklist items").check();
    await until(async () => (await titles()).length === 0, "no card with open items");
    // An unticked item added elsewhere brings its card onto the filtered board, live.
    await item("All ticked", "One more thing", false);
    await until(
      async () => JSON.stringify(await titles()) === '["All ticked"]',
      "the card with a new open item",
    );
  });
});

describe("keyboard only", () => {
  test("shortcuts: ? help, n new task, / filter, e edit, Shift+arrows move, Esc closes; the dialog's column by keyboard; columns reorder with the keyboard", async () => {
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
    for (const what of [
      "New task",
      "Filter the cards",
      "Edit the focused card",
      "Move the focused card",
      "Close a dialog",
    ])
      expect(await help.textContent()).toContain(what);
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });

    // The task dialog's chunk loads now, the first time: the board stays on screen meanwhile (the app's
    // "Loading" never replaces the page).
    await page.evaluate(() => {
      const w = window as unknown as { blanked: boolean; keys: string[] };
      w.blanked = false;
      w.keys = [];
      new MutationObserver(() => {
        if (document.querySelector(".page-loading")) w.blanked = true;
      }).observe(document.body, { childList: true, subtree: true });
      document.addEventListener(
        "keydown",
        (e) => w.keys.push(`${e.key} on ${(e.target as Element).tagName}`),
        true,
      );
    });
    await page.keyboard.press("n");
    const dialog = page.getByRole("dialog", { name: "New task" });
    await dialog.waitFor().catch(async (error) => {
      // What the page was doing, for the failure message.
      const seen = await page.evaluate(() => ({
        keys: (window as unknown as { keys: string[] }).keys,
        focused: document.activeElement?.outerHTML.slice(0, 100),
        openDialogs: [...document.querySelectorAll("dialog")].map((d) => `${d.className} open=${d.open}`),
        text: document.querySelector("main")?.textContent?.slice(0, 300),
      }));
      throw new Error(`no New task dialog after n: ${JSON.stringify(seen)}`, { cause: error });
    });
    expect(await page.evaluate(() => (window as unknown as { blanked: boolean }).blanked)).toBe(false);
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

    // Move the focused card: Shift+→ twice (To do → In progress → Done), Shift+← back; focus stays on it.
    await page.keyboard.press("Shift+ArrowRight");
    await section(page, "In progress").locator(".card", { hasText: "Typed only" }).waitFor();
    await page.keyboard.press("Shift+ArrowRight");
    await section(page, "Done").locator(".card", { hasText: "Typed only" }).waitFor();
    await page.keyboard.press("Shift+ArrowLeft");
    await section(page, "In progress").locator(".card", { hasText: "Typed only" }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.closest(".card")?.textContent)).toContain(
      "Typed only",
    );
    // Edited from the keyboard: e, then the dialog's Column field moves it back to To do.
    await page.keyboard.press("e");
    await edit.waitFor();
    await edit.getByLabel("Column", { exact: true }).focus();
    await page.keyboard.press("ArrowUp");
    expect(
      await edit
        .getByLabel("Column", { exact: true })
        .evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text),
    ).toBe("To do");
    // Enter on a select opens it; Enter in the title submits the form.
    await edit.getByLabel("Title").focus();
    await page.keyboard.press("Enter");
    await edit.waitFor({ state: "detached" });
    await section(page, "To do").locator(".card", { hasText: "Typed only" }).waitFor();

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

describe("the README's screenshots", () => {
  test("the board (custom columns, WIP counts, checklist and comment badges) and the task dialog", async () => {
    const apiUrl = api();
    const ok = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await call(apiUrl, method, path, { token, body });
      expect(res.status).toBeLessThan(300);
      return res.body;
    };
    const jay: User = await signUpByApi(apiUrl, "Jay");
    const mia: User = await signUpByApi(apiUrl, "Mia");
    const project = await createProjectByApi(apiUrl, jay, "Product launch");
    await addMember(apiUrl, jay, project, mia);
    const board = await ok("GET", `/api/projects/${project}/board`, jay.token);
    const columnId = (name: string) =>
      (board.columns as { id: string; name: string }[]).find((c) => c.name === name)?.id as string;
    const review = await ok("POST", `/api/projects/${project}/columns`, jay.token, {
      name: "Review",
      wipLimit: 1,
    });
    await ok("POST", `/api/projects/${project}/columns/${review.id}/move`, jay.token, { position: 2 });
    await ok("PATCH", `/api/projects/${project}/columns/${columnId("In progress")}`, jay.token, {
      wipLimit: 3,
    });
    const tasks: Record<string, string> = {};
    const seed: [string, string, string, string[], string | null][] = [
      ["Draft the announcement", columnId("To do"), "high", ["launch"], mia.id],
      ["Record the demo video", columnId("To do"), "medium", ["launch"], null],
      ["Update the pricing page", columnId("In progress"), "urgent", ["web"], jay.id],
      ["Write the release notes", columnId("In progress"), "medium", ["docs"], mia.id],
      ["Localise the landing page", review.id, "high", ["web"], null],
      ["Check the sign-up flow", review.id, "medium", ["web"], jay.id],
      ["Set up the status page", columnId("Done"), "low", ["web"], null],
    ];
    for (const [title, column, priority, labels, assigneeId] of seed) {
      const task = await ok("POST", "/api/tasks", jay.token, {
        projectId: project,
        title,
        columnId: column,
        priority,
        labels,
        assigneeId,
        dueAt: "2030-06-01T12:00:00.000Z",
      });
      tasks[title] = task.id;
    }
    await ok("PATCH", `/api/tasks/${tasks["Draft the announcement"]}`, jay.token, {
      description:
        "Announce the launch on the **blog** and the newsletter.\n\n- one paragraph per feature\n- link to the [pricing page](https://example.com/pricing)",
    });
    const labels = (await ok("GET", `/api/projects/${project}/labels`, jay.token)).items as {
      id: string;
      name: string;
    }[];
    const colours: Record<string, string> = { launch: "indigo", web: "teal", docs: "amber" };
    for (const label of labels)
      await ok("PATCH", `/api/projects/${project}/labels/${label.id}`, jay.token, {
        color: colours[label.name],
      });
    for (const [title, items] of [
      [
        "Draft the announcement",
        [
          ["Outline", true],
          ["First draft", false],
          ["Review with Mia", false],
        ],
      ],
      [
        "Localise the landing page",
        [
          ["French", true],
          ["German", true],
        ],
      ],
      [
        "Update the pricing page",
        [
          ["New plans", true],
          ["FAQ", false],
        ],
      ],
    ] as [string, [string, boolean][]][]) {
      for (const [text, done] of items)
        await ok("POST", `/api/tasks/${tasks[title]}/checklist`, jay.token, { text, done });
    }
    const draft = `/api/tasks/${tasks["Draft the announcement"]}/comments`;
    await ok("POST", draft, mia.token, {
      body: `@[Jay](user:${jay.id}) can you check the *pricing* numbers?`,
    });
    await ok("POST", draft, jay.token, { body: "Done — they match the new plans." });
    await ok("POST", `/api/tasks/${tasks["Check the sign-up flow"]}/comments`, mia.token, {
      body: "Works on phones.",
    });

    const dir = docsScreenshotDir();
    const { page } = await open();
    await signIn(page, jay.email, API_PASSWORD);
    await page.goto(`/projects/${project}`);
    await card(page, "Set up the status page").waitFor();
    await page.getByTestId("live-state").filter({ hasText: "Live" }).waitFor();
    await card(page, "Draft the announcement").getByText("1/3").waitFor();
    await section(page, "Review").getByText("Over the limit of 1").waitFor();
    const still = () =>
      page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
    await still();
    await page.screenshot({ path: join(dir, "board.png") });

    // The dialog in a taller window, so its checklist and comments are in the picture.
    const tall = (await open({ height: 1100 })).page;
    await signIn(tall, jay.email, API_PASSWORD);
    await tall.goto(`/projects/${project}`);
    await card(tall, "Draft the announcement").getByText("1/3").waitFor();
    await card(tall, "Draft the announcement").getByRole("button").click();
    const dialog = tall.getByRole("dialog", { name: "Edit task" });
    await dialog.locator(".checklist").getByText("Review with Mia").waitFor();
    await dialog.locator(".comment").getByText("they match the new plans").waitFor();
    await dialog.getByText("Preview the description").click();
    await dialog.locator(".preview strong", { hasText: "blog" }).waitFor();
    await tall.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
    // Still modal once the Markdown renderer has loaded (it once suspended the page, which took the
    // dialog out of the document and put it back as a plain, backdrop-less one).
    expect(await dialog.evaluate((d) => d.matches(":modal"))).toBe(true);
    await tall.screenshot({ path: join(dir, "task-dialog.png") });
  });
});
