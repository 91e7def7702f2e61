// End-to-end: a real API (PostgreSQL + Redis) serving the built SPA, driven in Debian's Chromium.
// Run: bun run --cwd web build && bun test ./web/test/e2e/app.suite.ts
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright-core";
import {
  createProject,
  newSession,
  PASSWORD,
  type Session,
  type Stack,
  screenshotDir,
  signIn,
  signUp,
  startStack,
  uniqueEmail,
} from "./harness";

setDefaultTimeout(120_000);

let stack: Stack;
const sessions: Session[] = [];
const open = async (options?: Parameters<typeof newSession>[1]) => {
  const session = await newSession(stack, options);
  sessions.push(session);
  return session;
};
const column = (page: Page, status: "todo" | "in_progress" | "done") =>
  page.locator(`section[data-status="${status}"]`);
const card = (page: Page, title: string) => page.locator(".card", { hasText: title });

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  for (const s of sessions) {
    expect(s.foreign).toEqual([]);
    await s.context.close().catch(() => {});
  }
  await stack?.stop();
});

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
    await card(ada.page, "Book the venue").waitFor({ state: "detached" });
    await ada.page.getByRole("button", { name: "Undo" }).click();
    await card(ada.page, "Book the venue").waitFor();
    await card(ada.page, "Book the venue").getByRole("button").click();
    await ada.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
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
    await page.getByLabel("Email").fill(uniqueEmail("ghost"));
    await page.getByRole("button", { name: "Invite" }).click();
    await page.getByText("No account uses this email").waitFor();
    await page.goto("/settings");
    await page.getByLabel("Current password").fill("definitely wrong");
    await page.getByLabel("New password", { exact: true }).fill("another good passphrase");
    await page.getByLabel("Repeat new password").fill("another good passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.locator("#field-currentPassword-error").waitFor();
  });
});

async function waitForTitles(page: Page, status: "todo" | "in_progress" | "done", titles: string[]) {
  const deadline = Date.now() + 10_000;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = await column(page, status).locator(".card-title").allTextContents();
    if (JSON.stringify(seen) === JSON.stringify(titles)) return;
    await page.waitForTimeout(100);
  }
  const board = await page.evaluate(() =>
    [...document.querySelectorAll("section[data-status]")].map(
      (s) =>
        `${s.getAttribute("data-status")}: ${[...s.querySelectorAll(".card-title")].map((e) => e.textContent)}`,
    ),
  );
  throw new Error(
    `${status} column shows ${JSON.stringify(seen)}, expected ${JSON.stringify(titles)}; board: ${board}`,
  );
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
