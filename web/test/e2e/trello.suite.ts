// End-to-end: import from Trello in real Chromium against a real API process (PostgreSQL, Redis).
// From the projects sidebar by keyboard alone: pick the fixture export, read the preview, create the
// project and land on its board; a file that is not an export is explained on the page; a 375 px
// phone does the same by touch, without sideways scrolling; axe on the preview. The README's
// screenshot of the preview: with UPDATE_DOCS_SCREENSHOTS=1 into docs/screenshots/, else web/screenshots/.
// Run: bun run --cwd web build && bun test ./web/test/e2e/trello.suite.ts
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { PASSWORD, signUp as signUpByApi, type User } from "../../../api/test/support/client.ts";
import { card, docsScreenshotDir, repoRoot, seriousOrWorse, signIn, suiteStack, tabTo } from "./harness";

setDefaultTimeout(180_000);

const FIXTURE = join(repoRoot, "api", "test", "fixtures", "trello-board.json");
const SUMMARY =
  "A new project “Website relaunch” with 4 columns, 8 tasks (2 archived), 7 labels, 6 checklist items and 3 comments.";

const suite = suiteStack();
let ada: User;

beforeAll(async () => {
  ada = await signUpByApi(suite.stack().apiUrl, "ada");
});

const preview = (page: Page) => page.getByRole("region", { name: "Import “trello-board.json”?" });
const columnNames = (page: Page) =>
  page
    .locator("section.column h2")
    .evaluateAll((headings) => headings.map((h) => (h.firstChild?.textContent ?? "").trim()));

describe("import from Trello", () => {
  test("by keyboard: the sidebar's link, the file, the preview, then the new project's board", async () => {
    const { page } = await suite.open();
    await signIn(page, ada.email, PASSWORD);
    // The home page has settled (no projects yet: the welcome), so no redirect moves the focus meanwhile.
    await page.getByText("Welcome to TaskPlatform").waitFor();
    await tabTo(page, "Import from Trello");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Import from Trello" }).waitFor();

    await tabTo(page, "Choose a Trello file");
    const chooser = page.waitForEvent("filechooser");
    await page.keyboard.press("Space");
    await (await chooser).setFiles(FIXTURE);
    await preview(page).getByText(SUMMARY).waitFor();
    // The preview takes the focus, so a screen reader reads it and Tab goes on to its buttons.
    expect(await preview(page).evaluate((el) => el === document.activeElement)).toBe(true);
    await preview(page).locator("li", { hasText: "Doing — In progress, 1 task" }).waitFor();
    expect(await preview(page).locator(".import-labels li").allTextContents()).toHaveLength(7);
    await preview(page).getByText("Chloé Martin (@chloemartin): 2 cards, 1 comment").waitFor();
    expect(await seriousOrWorse(page)).toEqual([]);
    const dir = docsScreenshotDir();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(dir, "trello-import.png"), fullPage: true });

    await tabTo(page, "Create the project");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Website relaunch" }).waitFor();
    await card(page, "Fix the login redirect loop").waitFor();
    expect(await columnNames(page)).toEqual(["Backlog", "To Do", "Doing", "Done"]);
    // The archived card is not on the board.
    expect(await card(page, "Replace the carousel").count()).toBe(0);
  });

  test("a file that is not a Trello export is explained on the page, and nothing is created", async () => {
    const { page } = await suite.open();
    await signIn(page, ada.email, PASSWORD);
    await page.goto("/import/trello");
    const chooser = page.waitForEvent("filechooser");
    await page.getByText("Choose a Trello file").click();
    await (await chooser).setFiles({
      name: "tasks.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("Name,List\nA,B\n"),
    });
    const alert = page.getByRole("alert").filter({ hasText: "This file is not JSON" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("Export as JSON");
    expect(await page.getByRole("button", { name: "Create the project" }).count()).toBe(0);
  });

  test("a 375 px phone: from the menu to the board, nothing wider than the screen", async () => {
    const { page } = await suite.open({ phone: true, width: 375, height: 740 });
    await signIn(page, ada.email, PASSWORD);
    // Home has taken Ada to her first project: that navigation would close a menu opened before it.
    await page.getByRole("heading", { level: 1, name: "Website relaunch" }).first().waitFor();
    await page.getByRole("button", { name: "Projects menu" }).tap();
    await page.getByRole("link", { name: "Import from Trello" }).tap();
    await page.getByRole("heading", { level: 1, name: "Import from Trello" }).waitFor();
    const chooser = page.waitForEvent("filechooser");
    await page.getByText("Choose a Trello file").tap();
    await (await chooser).setFiles(FIXTURE);
    await preview(page).getByText(SUMMARY).waitFor();
    const width = () =>
      page.evaluate(() => Math.max(document.documentElement.scrollWidth, window.innerWidth));
    expect(await width()).toBe(375);
    const create = page.getByRole("button", { name: "Create the project" });
    await create.scrollIntoViewIfNeeded();
    await create.tap();
    await page.getByRole("heading", { level: 1, name: "Website relaunch" }).first().waitFor();
    await card(page, "Set up continuous integration").waitFor();
  });
});
