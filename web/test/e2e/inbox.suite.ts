// End-to-end: the notifications inbox in real Chromium against a real API process (PostgreSQL,
// Redis). Ada assigns Bob a task and mentions him; Bob's bell rises live in two tabs without a reload;
// marking all read in one tab drops the other's count; a notification's link opens the task dialog;
// a 375 px phone; axe in light and dark.
// Run: bun run --cwd web build && bun test ./web/test/e2e/inbox.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { call, createTask, PASSWORD, type User } from "../../../api/test/support/client.ts";
import { adaAndBobSuite, card, type newSession, type Session, seriousOrWorse, signIn } from "./harness";

setDefaultTimeout(180_000);

const liveState = (page: Page) => page.getByTestId("live-state");
const bell = (page: Page) => page.getByTestId("notification-bell");
/** Waits until the bell's accessible name says `unread` unread (0: none). */
const bellSays = (page: Page, unread: number) =>
  page
    .getByRole("link", { name: unread === 0 ? /^Notifications$/ : `Notifications, ${unread} unread` })
    .waitFor({ timeout: 15_000 });

const suite = adaAndBobSuite("Inbox");
const { api, people } = suite;
async function open(user: User, path: string, options: Parameters<typeof newSession>[1] = {}) {
  const session = await suite.open(options);
  await signIn(session.page, user.email, PASSWORD);
  await session.page.goto(path);
  await liveState(session.page).filter({ hasText: "Live" }).waitFor({ timeout: 15_000 });
  expect(session.errors).toEqual([]);
  return session;
}

/** Another tab of the same browser (the session comes back through the refresh cookie). */
async function secondTab(session: Session, path: string) {
  const page = await session.context.newPage();
  await page.goto(path);
  await liveState(page).filter({ hasText: "Live" }).waitFor({ timeout: 15_000 });
  return page;
}

const readAllByApi = async (user: User) =>
  expect((await call(api(), "POST", "/api/notifications/read-all", { token: user.token })).status).toBe(200);

describe("inbox", () => {
  test("Ada assigns Bob and mentions him: Bob's bell rises live in two tabs; mark all read in one drops the other's; the link opens the task", async () => {
    const title = "Write the release notes";
    expect((await createTask(api(), people.ada, people.projectId, title)).status).toBe(201);
    const adaSession = await open(people.ada, `/projects/${people.projectId}`);
    const a = adaSession.page;
    const bobSession = await open(people.bob, "/");
    const board = bobSession.page;
    // Being added to the project is Bob's first notification.
    await bellSays(board, 1);
    const inbox = await secondTab(bobSession, "/notifications");
    await bellSays(inbox, 1);
    await inbox.locator(".inbox-item").filter({ hasText: "added you to Inbox" }).waitFor();

    // Ada assigns the task to Bob in the task dialog.
    await card(a, title).locator("button.card-open").click();
    const dialog = a.getByRole("dialog");
    await dialog.getByLabel("Assignee").selectOption({ label: "bob" });
    await dialog.getByRole("button", { name: "Save" }).click();
    await bellSays(board, 2);
    await bellSays(inbox, 2);
    await inbox
      .getByRole("listitem")
      .filter({ hasText: `ada assigned you ${title}` })
      .waitFor();

    // …and mentions him in a comment.
    await dialog.waitFor({ state: "detached" });
    await card(a, title).locator("button.card-open").click();
    const composer = a.getByRole("dialog").getByLabel("New comment", { exact: true });
    await composer.fill(`Can you take this, @[bob](user:${people.bob.id})?`);
    await a.getByRole("dialog").getByRole("button", { name: "Comment", exact: true }).click();
    await bellSays(board, 3);
    await bellSays(inbox, 3);
    const mention = inbox.locator(".inbox-item").filter({ hasText: `ada mentioned you on ${title}` });
    await mention.waitFor();
    await mention.getByText("Can you take this").waitFor();
    await mention.getByText(/just now|second|minute/).waitFor();

    // Mark one read in the inbox tab: the board tab follows.
    await inbox.getByRole("button", { name: /^Mark read\W+Inbox$/ }).click();
    await bellSays(board, 2);
    await bellSays(inbox, 2);
    // Mark all read: the other tab's count drops without a reload.
    await inbox.getByRole("button", { name: "Mark all as read" }).click();
    await bellSays(board, 0);
    await bellSays(inbox, 0);
    await expect(inbox.getByRole("button", { name: "Mark all as read" }).isDisabled()).resolves.toBe(true);
    expect(await inbox.locator(".inbox-item.unread").count()).toBe(0);

    // A new one arrives in the open inbox; its link opens the board with the task dialog.
    expect(
      (
        await call(
          api(),
          "POST",
          `/api/tasks/${(await createTask(api(), people.ada, people.projectId, "Proofread")).body.id}/comments`,
          {
            token: people.ada.token,
            body: { body: `@[bob](user:${people.bob.id}) one more` },
          },
        )
      ).status,
    ).toBe(201);
    await bellSays(board, 1);
    const fresh = inbox.locator(".inbox-item").filter({ hasText: "ada mentioned you on Proofread" });
    await fresh.waitFor();
    await inbox.getByRole("button", { name: "Unread (1)" }).click();
    await inbox.waitForFunction(() => document.querySelectorAll(".inbox-item").length === 1);
    await fresh.getByRole("link", { name: "Proofread" }).click();
    await inbox.waitForURL(`**/projects/${people.projectId}`);
    const opened = inbox.getByRole("dialog");
    await opened.getByRole("heading", { name: "Edit task" }).waitFor();
    await expect(opened.getByLabel("Title").inputValue()).resolves.toBe("Proofread");
    // Following the link read it, in both tabs.
    await bellSays(inbox, 0);
    await bellSays(board, 0);
    await readAllByApi(people.bob);
  });

  test("on a 375 px phone: the bell, the inbox and mark read fit and work by touch", async () => {
    await readAllByApi(people.bob);
    expect((await createTask(api(), people.ada, people.projectId, "Phone task")).status).toBe(201);
    const tasks = await call(api(), "GET", `/api/tasks?projectId=${people.projectId}&q=Phone`, {
      token: people.ada.token,
    });
    const taskId = tasks.body.items[0].id;
    expect(
      (
        await call(api(), "PATCH", `/api/tasks/${taskId}`, {
          token: people.ada.token,
          body: { assigneeId: people.bob.id },
        })
      ).status,
    ).toBe(200);
    const phone = await open(people.bob, "/", { width: 375, height: 740, phone: true });
    const page = phone.page;
    await bellSays(page, 1);
    await bell(page).tap();
    await page.waitForURL("**/notifications");
    const item = page.locator(".inbox-item").filter({ hasText: "ada assigned you Phone task" });
    await item.waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBe(0);
    const box = await bell(page).boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 375).toBe(true);
    await item.getByRole("button", { name: /^Mark read\W+Phone task$/ }).tap();
    await bellSays(page, 0);
  });

  for (const scheme of ["light", "dark"] as const) {
    test(`axe (${scheme}): the header with an unread count and the inbox have no serious or critical violations`, async () => {
      await readAllByApi(people.bob);
      const task = await createTask(api(), people.ada, people.projectId, `Axe ${scheme}`);
      await call(api(), "POST", `/api/tasks/${task.body.id}/comments`, {
        token: people.ada.token,
        body: {
          body: `Look, @[bob](user:${people.bob.id}): a **long** excerpt ${"that goes on ".repeat(20)}`,
        },
      });
      const session = await open(people.bob, "/notifications", { colorScheme: scheme });
      const page = session.page;
      await bellSays(page, 1);
      await page.locator(".inbox-item.unread").first().waitFor();
      expect(await seriousOrWorse(page)).toEqual([]);
      await page.getByRole("button", { name: "Unread (1)" }).click();
      await page.getByRole("button", { name: "Mark all as read" }).click();
      // Read ones stay listed (greyed) until the filter is chosen again: then the list is empty.
      await page.locator(".inbox-item.unread").first().waitFor({ state: "detached" });
      await page.getByRole("button", { name: "Unread (0)" }).click();
      await page.getByRole("heading", { name: "You're all caught up" }).waitFor();
      expect(await seriousOrWorse(page)).toEqual([]);
      expect(session.errors).toEqual([]);
    });
  }
});
