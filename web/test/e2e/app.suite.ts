// End-to-end: a real API (PostgreSQL + Redis) serving the built SPA, driven in Debian's Chromium.
// Run: bun run --cwd web build && bun test ./web/test/e2e/app.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  card,
  column,
  createProject,
  PASSWORD,
  screenshotDir,
  seriousOrWorse,
  signIn,
  signUp,
  suiteStack,
  uniqueEmail,
  until,
  waitForTitles,
} from "./harness";

setDefaultTimeout(300_000);

const { open } = suiteStack();

describe("a new user runs their work from the board", () => {
  test("sign up → project → create, edit, move, delete a task, seen live by a second browser → sign out", async () => {
    const ada = await open();
    const bob = await open();
    const adaEmail = uniqueEmail("ada");
    const bobEmail = uniqueEmail("bob");
    await signUp(ada.page, "Ada Lovelace", adaEmail);
    await signUp(bob.page, "Bob Babbage", bobEmail);

    // Empty state, then a project.
    await ada.page.getByRole("heading", { name: "Welcome to TaskPlatform" }).waitFor();
    const projectId = await createProject(ada.page, "Launch plan");
    await ada.page.getByRole("heading", { name: "No tasks yet" }).waitFor();

    // Ada invites Bob as an editor; Bob's sidebar shows the project without a reload.
    await ada.page.getByRole("link", { name: "Settings", exact: true }).click();
    await ada.page.getByLabel("Email").fill(bobEmail);
    await ada.page.getByLabel("Role", { exact: true }).selectOption("editor");
    await ada.page.getByRole("button", { name: "Invite" }).click();
    await ada.page.locator(".member", { hasText: "Bob Babbage" }).waitFor();
    await bob.page.getByRole("link", { name: /Launch plan/ }).click();
    await bob.page.getByRole("heading", { level: 1, name: "Launch plan" }).waitFor();
    await ada.page.getByRole("link", { name: "Board" }).click();

    // Create: optimistic for Ada, live for Bob.
    await ada.page.getByLabel("New task title").fill("Write the launch post");
    await ada.page.keyboard.press("Enter");
    await card(ada.page, "Write the launch post").waitFor();
    await column(bob.page, "todo").locator(".card", { hasText: "Write the launch post" }).waitFor();

    // Edit in the dialog.
    await card(ada.page, "Write the launch post").getByRole("button").click();
    const dialog = ada.page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Title").fill("Write and publish the launch post");
    await dialog.getByLabel("Priority").selectOption("high");
    await dialog.getByLabel("Labels").fill("marketing, blog");
    await dialog.getByLabel("Due date").fill("2030-05-17");
    await dialog.getByLabel("Assignee").selectOption({ label: "Bob Babbage" });
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    const bobCard = card(bob.page, "Write and publish the launch post");
    await bobCard.waitFor();
    await expect(bobCard.textContent()).resolves.toContain("High");
    await expect(bobCard.textContent()).resolves.toContain("marketing");
    await expect(bobCard.textContent()).resolves.toContain("Bob Babbage");

    // Move by drag and drop.
    await ada.page.dragAndDrop(
      ".card:has-text('Write and publish the launch post')",
      'section[data-status="in_progress"]',
    );
    await column(ada.page, "in_progress").locator(".card", { hasText: "launch post" }).waitFor();
    await column(bob.page, "in_progress").locator(".card", { hasText: "launch post" }).waitFor();

    // Move with the keyboard (Shift+→).
    await ada.page.getByLabel("New task title").fill("Book the venue");
    await ada.page.keyboard.press("Enter");
    await card(ada.page, "Book the venue").waitFor();
    await card(ada.page, "Write and publish the launch post").getByRole("button").focus();
    await ada.page.keyboard.press("Shift+ArrowRight");
    await column(ada.page, "done").locator(".card", { hasText: "launch post" }).waitFor();
    await column(bob.page, "done").locator(".card", { hasText: "launch post" }).waitFor();
    await expect(ada.page.getByRole("status").filter({ hasText: "moved to Done" }).count()).resolves.toBe(1);
    await card(ada.page, "Book the venue").getByRole("button").focus();
    await ada.page.keyboard.press("Shift+ArrowRight");
    await column(ada.page, "in_progress").locator(".card", { hasText: "Book the venue" }).waitFor();
    await ada.page.keyboard.press("Shift+ArrowRight");
    await column(ada.page, "done").locator(".card", { hasText: "Book the venue" }).waitFor();
    // Moving across columns keeps the row; Shift+↓ / Shift+↑ reorder (focus stays on the card).
    await waitForTitles(ada.page, "done", ["Book the venue", "Write and publish the launch post"]);
    await ada.page.keyboard.press("Shift+ArrowDown");
    await waitForTitles(ada.page, "done", ["Write and publish the launch post", "Book the venue"]);
    await ada.page.keyboard.press("Shift+ArrowUp");
    await waitForTitles(ada.page, "done", ["Book the venue", "Write and publish the launch post"]);
    await ada.page.keyboard.press("Shift+ArrowDown");
    await waitForTitles(ada.page, "done", ["Write and publish the launch post", "Book the venue"]);
    await waitForTitles(bob.page, "done", ["Write and publish the launch post", "Book the venue"]);

    // The order survives a reload (and the session is restored from the refresh cookie).
    await ada.page.reload();
    await waitForTitles(ada.page, "done", ["Write and publish the launch post", "Book the venue"]);

    // Delete with undo, then delete for real.
    await card(ada.page, "Book the venue").getByRole("button").click();
    await ada.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    // Deleting for good is the owner's, after a confirmation (editors archive instead).
    await ada.page.getByRole("alertdialog").getByRole("button", { name: "Delete task" }).click();
    await card(ada.page, "Book the venue").waitFor({ state: "detached" });
    await ada.page.getByRole("button", { name: "Undo" }).click();
    await card(ada.page, "Book the venue").waitFor();
    await card(ada.page, "Book the venue").getByRole("button").click();
    await ada.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    // Deleting for good is the owner's, after a confirmation (editors archive instead).
    await ada.page.getByRole("alertdialog").getByRole("button", { name: "Delete task" }).click();
    await card(ada.page, "Book the venue").waitFor({ state: "detached" });
    await card(bob.page, "Book the venue").waitFor({ state: "detached", timeout: 15_000 });
    await ada.page.reload();
    await card(ada.page, "Write and publish the launch post").waitFor();
    await expect(card(ada.page, "Book the venue").count()).resolves.toBe(0);

    // Sign out: back to sign-in, and a reload does not restore the session.
    await ada.page.getByRole("button", { name: "Sign out" }).click();
    await ada.page.getByRole("heading", { name: "Sign in" }).waitFor();
    await ada.page.goto(`/projects/${projectId}`);
    await ada.page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(ada.page.url()).toContain("/signin?next=");
    // Signing in again returns to where the user was going.
    await ada.page.getByLabel("Email").fill(adaEmail);
    await ada.page.getByLabel("Password").fill(PASSWORD);
    await ada.page.getByRole("button", { name: "Sign in" }).click();
    await ada.page.getByRole("heading", { level: 1, name: "Launch plan" }).waitFor();
  });

  test("a stale edit shows the conflict and offers to reload the task", async () => {
    const email = uniqueEmail("carol");
    const one = await open();
    const two = await open();
    await signUp(one.page, "Carol", email);
    const projectId = await createProject(one.page, "Conflicts");
    await one.page.getByLabel("New task title").fill("Original title");
    await one.page.keyboard.press("Enter");
    await card(one.page, "Original title").waitFor();
    await signIn(two.page, email);
    await two.page.goto(`/projects/${projectId}`);
    await card(two.page, "Original title").waitFor();

    // Tab one opens the dialog; tab two saves a change first.
    await card(one.page, "Original title").getByRole("button").click();
    const stale = one.page.getByRole("dialog", { name: "Edit task" });
    await stale.getByLabel("Title").fill("Title from tab one");
    await card(two.page, "Original title").getByRole("button").click();
    await two.page.getByRole("dialog").getByLabel("Title").fill("Title from tab two");
    await two.page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await card(one.page, "Title from tab two").waitFor();

    await stale.getByRole("button", { name: "Save" }).click();
    await stale.getByRole("alert").filter({ hasText: "Someone else changed this task" }).waitFor();
    await one.page.locator(".toast-error", { hasText: "your edit was not saved" }).waitFor();
    // Rolled back: the board shows the other tab's title, not the refused one.
    await card(one.page, "Title from tab two").waitFor();
    expect(await card(one.page, "Title from tab one").count()).toBe(0);
    await stale.getByRole("button", { name: "Reload task" }).click();
    await until(
      async () => (await stale.getByLabel("Title").inputValue()) === "Title from tab two",
      "reloaded title",
    );
    await stale.getByLabel("Title").fill("Merged title");
    await stale.getByRole("button", { name: "Save" }).click();
    await stale.waitFor({ state: "hidden" });
    await card(two.page, "Merged title").waitFor();
  });

  test("bad inputs show field errors", async () => {
    const { page } = await open();
    await page.goto("/signup");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("Enter your name.").waitFor();
    await page.getByText("Enter a valid email address.").waitFor();
    await page.getByText("Use at least 8 characters.").waitFor();
    expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");

    // Server-side rule: a very common password is refused with a field error.
    await page.getByLabel("Name").fill("Dan");
    await page.getByLabel("Email").fill(uniqueEmail("dan"));
    await page.getByLabel("Password", { exact: true }).fill("password123");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator("#field-password-error").waitFor();
    expect(page.url()).toContain("/signup");

    // Wrong credentials.
    await page.goto("/signin");
    await page.getByLabel("Email").fill(uniqueEmail("nobody"));
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong email or password" }).waitFor();

    // An empty task title, an unknown member, a wrong current password.
    await signUp(page, "Erin", uniqueEmail("erin"));
    await createProject(page, "Validation");
    await page.getByRole("button", { name: "Add task to To do" }).click();
    const dialog = page.getByRole("dialog", { name: "New task" });
    await dialog.getByRole("button", { name: "Create task" }).click();
    await dialog.getByText("Enter a title.").waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    // An address without an account is invited (invite-reset.suite.ts): listed as pending.
    const ghost = uniqueEmail("ghost");
    await page.getByLabel("Email").fill(ghost);
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    await page.locator(".invitation", { hasText: ghost }).waitFor();
    await page.getByLabel("Email").fill("not an address");
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    await page.getByText("Enter a valid email address.").waitFor();
    await page.goto("/settings");
    await page.getByLabel("Current password").fill("definitely wrong");
    await page.getByLabel("New password", { exact: true }).fill("another good passphrase");
    await page.getByLabel("Repeat new password").fill("another good passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.locator("#field-currentPassword-error").waitFor();
  });
});

describe("list view, account and data", () => {
  test("filters, search and sort live in the URL and survive a reload", async () => {
    const { page } = await open();
    await signUp(page, "Fay", uniqueEmail("fay"));
    const projectId = await createProject(page, "Website");
    for (const title of ["Fix the footer", "Plan the redesign", "Audit accessibility"]) {
      await page.getByLabel("New task title").fill(title);
      await page.keyboard.press("Enter");
      await card(page, title).waitFor();
    }
    await card(page, "Audit accessibility").getByRole("button").click();
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Priority").selectOption("urgent");
    await dialog.getByLabel("Description").fill("Check contrast and keyboard access everywhere");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });

    await page.getByRole("link", { name: "List" }).click();
    const rows = page.locator(".tasks-table tbody tr");
    await until(async () => (await rows.count()) === 3, "three rows");
    await page.getByLabel("Priority").selectOption("urgent");
    await until(async () => (await rows.count()) === 1, "one urgent row");
    expect(page.url()).toContain("priority=urgent");
    await page.getByLabel("Priority").selectOption("");
    await page.getByLabel("Search").fill("keyboard");
    await until(async () => page.url().includes("q=keyboard"), "q in the URL");
    await until(async () => (await rows.count()) === 1, "full-text match");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await until(async () => (await rows.count()) === 3, "filters cleared");

    await page.getByRole("button", { name: "Title" }).click();
    await until(async () => page.url().includes("sort=title"), "sort in the URL");
    await until(
      async () =>
        JSON.stringify(await rows.locator("th").allTextContents()) ===
        JSON.stringify(["Audit accessibility", "Fix the footer", "Plan the redesign"]),
      "ascending titles",
    );
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain("Title");
    await page.getByRole("button", { name: "Title" }).click();
    await until(async () => page.url().includes("sort=-title"), "descending sort in the URL");
    await page.reload();
    await until(
      async () =>
        JSON.stringify(await rows.locator("th").allTextContents()) ===
        JSON.stringify(["Plan the redesign", "Fix the footer", "Audit accessibility"]),
      "descending titles after reload",
    );
    // A bookmarked view opens as saved.
    await page.goto(`/projects/${projectId}/list?priority=urgent`);
    await until(async () => (await rows.count()) === 1, "bookmarked filter");
    expect(await page.getByLabel("Priority").inputValue()).toBe("urgent");
  });

  test("sessions: sign out other sessions; change password; export and import", async () => {
    const email = uniqueEmail("gus");
    const main = await open();
    const other = await open();
    await signUp(main.page, "Gus", email);
    await signIn(other.page, email);
    const projectId = await createProject(main.page, "Archive me");
    await main.page.getByLabel("New task title").fill("Keep this task");
    await main.page.keyboard.press("Enter");
    await card(main.page, "Keep this task").waitFor();

    await main.page.getByRole("link", { name: "Account & data" }).click();
    const sessionsList = main.page.locator(".session");
    await until(async () => (await sessionsList.count()) === 2, "two sessions");
    await main.page.getByText("This device").waitFor();
    await main.page.getByRole("button", { name: "Sign out other sessions" }).click();
    await until(async () => (await sessionsList.count()) === 1, "one session left");
    // The other browser cannot renew its session any more.
    await other.page.reload();
    await other.page.getByRole("heading", { name: "Sign in" }).waitFor();

    // Change password, then sign in with the new one elsewhere.
    await main.page.getByLabel("Current password").fill(PASSWORD);
    await main.page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
    await main.page.getByLabel("Repeat new password").fill("a brand new passphrase");
    await main.page.getByRole("button", { name: "Change password" }).click();
    await main.page.getByText("Password changed.").waitFor();
    await signIn(other.page, email, "a brand new passphrase");

    // Export, delete the project, import the file: after a preview, the project and its task come back.
    const [download] = await Promise.all([
      main.page.waitForEvent("download"),
      main.page.getByRole("button", { name: "Export data" }).click(),
    ]);
    const file = await download.path();
    const exported = await Bun.file(file).text();
    expect(exported).toContain("Archive me");
    expect(exported).toContain("Keep this task");
    await main.page.goto(`/projects/${projectId}/settings`);
    await main.page.getByRole("button", { name: "Delete project" }).click();
    await main.page.getByRole("alertdialog").getByRole("button", { name: "Delete project" }).click();
    await main.page.getByRole("heading", { name: "Welcome to TaskPlatform" }).waitFor();
    await main.page.goto("/settings");
    await main.page.locator('input[type="file"]').setInputFiles(file);
    await main.page.getByText("This will create 1 deleted project again with 1 task").waitFor();
    await main.page.getByText("This will create 1 new project with 1 task").waitFor();
    await main.page.getByRole("button", { name: "Restore" }).click();
    await main.page.getByText("Import finished: created 1 project with 1 task.").waitFor();
    await main.page.getByRole("link", { name: /Archive me/ }).click();
    await card(main.page, "Keep this task").waitFor();
    // Restored under its old id: links to it work again.
    expect(main.page.url()).toContain(projectId);
  });

  test("the live indicator shows reconnecting while the connection is down", async () => {
    const { page, context } = await open();
    await signUp(page, "Hal", uniqueEmail("hal"));
    const state = page.getByTestId("live-state");
    await until(async () => (await state.textContent()) === "Live", "live");
    await context.setOffline(true);
    await page.getByText("You are offline").waitFor();
    await until(async () => (await state.textContent()) === "Reconnecting…", "reconnecting", 20_000);
    await context.setOffline(false);
    await until(async () => (await state.textContent()) === "Live", "live again", 30_000);
    expect(await page.getByText("You are offline").count()).toBe(0);
  });

  test("unknown pages show a 404 with a way back", async () => {
    const { page } = await open();
    await signUp(page, "Ivy", uniqueEmail("ivy"));
    await page.goto("/no/such/page");
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await page.goto("/projects/00000000-0000-4000-8000-000000000000");
    await page.getByRole("heading", { name: "Project not found" }).waitFor();
  });
});

describe("accessibility, screenshots, small screens", () => {
  let jay: { email: string; projectId: string } | undefined;
  const seedJay = async () => {
    if (jay) return jay;
    const email = uniqueEmail("jay");
    const setup = await open();
    await signUp(setup.page, "Jay", email);
    const projectId = await createProject(setup.page, "Product launch");
    const seed: [string, string, string][] = [
      ["Draft the announcement", "To do", "high"],
      ["Record the demo video", "To do", "medium"],
      ["Update the pricing page", "In progress", "urgent"],
      ["Set up the status page", "Done", "low"],
    ];
    for (const [title] of seed) {
      await setup.page.getByLabel("New task title").fill(title);
      await setup.page.keyboard.press("Enter");
      await card(setup.page, title).waitFor();
    }
    for (const [title, status, priority] of seed) {
      await card(setup.page, title).getByRole("button").click();
      const dialog = setup.page.getByRole("dialog", { name: "Edit task" });
      await dialog.getByLabel("Column").selectOption({ label: status });
      await dialog.getByLabel("Priority").selectOption(priority);
      await dialog.getByLabel("Labels").fill(title.includes("page") ? "web" : "launch");
      await dialog.getByLabel("Due date").fill("2030-06-01");
      await dialog.getByRole("button", { name: "Save" }).click();
      await dialog.waitFor({ state: "hidden" });
    }
    await setup.context.close();
    jay = { email, projectId };
    return jay;
  };

  for (const scheme of ["light", "dark"] as const) {
    test(`main pages have no serious or critical axe violations (${scheme}); screenshots`, async () => {
      mkdirSync(screenshotDir, { recursive: true });
      const { email, projectId } = await seedJay();
      const failures: string[] = [];
      const { page } = await open({ colorScheme: scheme });
      const check = async (name: string) => {
        // Checked once nothing moves any more (a mid-transition colour is not what people see).
        await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
        for (const v of await seriousOrWorse(page)) failures.push(`${name} [${scheme}] ${v}`);
        await page.screenshot({ path: join(screenshotDir, `${name}-${scheme}.png`), fullPage: true });
      };
      await page.goto("/signin");
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await check("signin");
      await page.goto("/signup");
      await page.getByRole("heading", { name: "Create your account" }).waitFor();
      await check("signup");
      await signIn(page, email);
      await page.goto(`/projects/${projectId}`);
      await card(page, "Draft the announcement").waitFor();
      await until(async () => (await page.getByTestId("live-state").textContent()) === "Live", "live");
      await check("board");
      await card(page, "Draft the announcement").getByRole("button").click();
      await page.getByRole("dialog", { name: "Edit task" }).waitFor();
      await check("task-dialog");
      await page.keyboard.press("Escape");
      await page.getByRole("link", { name: "List" }).click();
      await page.locator(".tasks-table").waitFor();
      await check("list");
      await page.getByRole("link", { name: "Settings", exact: true }).click();
      await page.getByRole("heading", { name: "Members" }).waitFor();
      await check("project-settings");
      await page.goto("/settings");
      await page.locator(".session").first().waitFor();
      await check("account");
      expect(failures).toEqual([]);
    });
  }

  test("usable at 360 px: no page-wide horizontal scroll, the menu opens the projects drawer", async () => {
    const { page } = await open({ width: 360, height: 740 });
    await signUp(page, "Kim", uniqueEmail("kim"));
    await page.getByRole("button", { name: "Projects menu" }).click();
    await createProject(page, "Phone project");
    await page.getByLabel("New task title").fill("Small screen task");
    await page.keyboard.press("Enter");
    await card(page, "Small screen task").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(screenshotDir, "board-360-light.png"), fullPage: true });
    await card(page, "Small screen task").getByRole("button").click();
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Column").selectOption({ label: "Done" });
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await column(page, "done").locator(".card", { hasText: "Small screen task" }).waitFor();
    for (const v of await seriousOrWorse(page)) throw new Error(`360px board: ${v}`);
  });
});
