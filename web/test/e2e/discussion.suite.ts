// End-to-end: checklists, comments with mentions and the activity history, in real Chromium against a
// real API process (PostgreSQL, Redis). Two users live; keyboard only on a 375 px phone; axe in light
// and dark; injected HTML never runs.
// Run: bun run --cwd web build && bun test ./web/test/e2e/discussion.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { call, createTask, PASSWORD, type User } from "../../../api/test/support/client.ts";
import { adaAndBobSuite, type newSession, seriousOrWorse, signIn } from "./harness";

setDefaultTimeout(180_000);

const card = (page: Page, title: string) => page.locator(".card", { hasText: title });
const liveState = (page: Page) => page.getByTestId("live-state");

const suite = adaAndBobSuite("Discussion");
const { api, people } = suite;
/** A task with a two-item checklist, made through the API. */
async function seededTask(title: string): Promise<string> {
  const task = await createTask(api(), people.ada, people.projectId, title);
  expect(task.status).toBe(201);
  for (const text of ["Write notes", "Book room"]) {
    const item = await call(api(), "POST", `/api/tasks/${task.body.id}/checklist`, {
      token: people.ada.token,
      body: { text },
    });
    expect(item.status).toBe(201);
  }
  return task.body.id;
}

async function openBoard(user: User, options: Parameters<typeof newSession>[1] = {}) {
  const session = await suite.open(options);
  await signIn(session.page, user.email, PASSWORD);
  await session.page.goto(`/projects/${people.projectId}`);
  await liveState(session.page).filter({ hasText: "Live" }).waitFor({ timeout: 10_000 });
  return session;
}

describe("discussion", () => {
  test("two users live: a comment with a mention and a ticked item reach the other's open dialog and card (keyboard only, 375 px phone)", async () => {
    const title = "Plan the launch";
    await seededTask(title);
    const phone = await openBoard(people.ada, { width: 375, height: 740, phone: true });
    const desk = await openBoard(people.bob);
    const a = phone.page;
    const b = desk.page;
    await card(b, title).getByText("0/2").waitFor();

    // Bob has the task open.
    await card(b, title).locator("button.card-open").click();
    const bobDialog = b.getByRole("dialog");
    await bobDialog.getByRole("checkbox", { name: "Write notes" }).waitFor();

    // Ada, keyboard only: focus the card, Enter opens the dialog.
    await card(a, title).locator("button.card-open").focus();
    await a.keyboard.press("Enter");
    const adaDialog = a.getByRole("dialog");
    const box = adaDialog.getByRole("checkbox", { name: "Write notes" });
    await box.waitFor();
    await box.focus();
    await a.keyboard.press("Space");
    await expect(box.isChecked()).resolves.toBe(true);

    // A comment with a mention picked from the autocomplete by keyboard, sent with Ctrl+Enter.
    const composer = adaDialog.getByLabel("New comment", { exact: true });
    await composer.focus();
    await a.keyboard.type("Ready when you are @bo");
    await adaDialog.getByRole("listbox", { name: "Members" }).getByRole("option", { name: /bob/ }).waitFor();
    await a.keyboard.press("Enter");
    await a.keyboard.type("**thanks**");
    await a.keyboard.press("Control+Enter");
    await adaDialog.locator(".comment .mention", { hasText: "@bob" }).waitFor();

    // Bob sees both in the open dialog, and on the card behind it.
    await b.waitForFunction(() =>
      [...document.querySelectorAll("dialog .checklist label")].some(
        (label) => label.textContent?.includes("Write notes") && label.querySelector("input")?.checked,
      ),
    );
    const comment = bobDialog.locator(".comment", { hasText: "Ready when you are" });
    await comment.waitFor();
    await comment.locator(".mention", { hasText: "@bob" }).waitFor();
    await comment.locator("strong", { hasText: "thanks" }).waitFor();
    await card(b, title).getByText("1/2").waitFor();
    await card(b, title).locator(".comment-count", { hasText: "1" }).waitFor();
    // The activity history shows both changes, newest first.
    await bobDialog.locator(".activity li").filter({ hasText: "commented" }).first().waitFor();
    await bobDialog.locator(".activity li").filter({ hasText: "checked “Write notes”" }).waitFor();

    // The open dialog on the phone passes axe too.
    expect(await seriousOrWorse(a)).toEqual([]);
    // Ada closes with Escape and sees the badges on her own card too; nothing overflows the phone.
    await a.keyboard.press("Escape");
    await card(a, title).getByText("1/2").waitFor();
    const overflow = await a.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect([...phone.errors, ...desk.errors]).toEqual([]);
    expect([...phone.foreign, ...desk.foreign]).toEqual([]);
  });

  test("injected HTML and javascript: links are shown as text and never run", async () => {
    const title = "Hostile input";
    const taskId = await seededTask(title);
    const hostile = [
      '<img src=x onerror="window.__pwned=1;alert(1)">',
      "[click me](javascript:window.__pwned=2)",
      "<script>window.__pwned=3</script>",
      '<a href="javascript:alert(1)">raw link</a>',
      "![pixel](https://evil.example/p.png)",
    ];
    for (const body of hostile) {
      const res = await call(api(), "POST", `/api/tasks/${taskId}/comments`, {
        token: people.ada.token,
        body: { body },
      });
      expect(res.status).toBe(201);
    }
    await call(api(), "PATCH", `/api/tasks/${taskId}`, {
      token: people.ada.token,
      body: { description: '<img src=x onerror="window.__pwned=4"> [x](javascript:alert(1))' },
    });
    const session = await openBoard(people.bob);
    const page = session.page;
    const dialogs: string[] = [];
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await card(page, title).locator("button.card-open").click();
    const dialog = page.getByRole("dialog");
    await dialog
      .locator(".comment")
      .nth(hostile.length - 1)
      .waitFor();
    await dialog.getByText("Preview the description").click();
    await dialog.locator(".description-preview .markdown").waitFor();
    // The comments' text is shown as typed.
    await dialog.locator(".comment", { hasText: "<img src=x onerror=" }).waitFor();
    // Typed into the composer and previewed: inert too.
    await dialog
      .getByLabel("New comment", { exact: true })
      .fill('<img src=y onerror="window.__pwned=5"> [y](javascript:alert(2))');
    await dialog.getByRole("button", { name: "Preview" }).last().click();
    await dialog.locator(".composer .preview").waitFor();
    for (const link of await dialog.locator(".markdown a").all())
      await link.click({ trial: true }).catch(() => {});
    await page.waitForTimeout(500);

    const found = await page.evaluate(() => ({
      pwned: (window as { __pwned?: number }).__pwned ?? null,
      images: document.querySelectorAll("dialog .markdown img").length,
      scripts: document.querySelectorAll("dialog .markdown script").length,
      jsLinks: [...document.querySelectorAll("dialog .markdown a")].filter((a) =>
        (a.getAttribute("href") ?? "").trim().toLowerCase().startsWith("javascript:"),
      ).length,
      handlers: [...document.querySelectorAll("dialog .markdown *")].filter((el) =>
        [...el.attributes].some((attr) => attr.name.startsWith("on") || attr.name === "style"),
      ).length,
    }));
    expect(found).toEqual({ pwned: null, images: 0, scripts: 0, jsLinks: 0, handlers: 0 });
    expect(dialogs).toEqual([]);
    expect(session.errors).toEqual([]);
    expect(session.foreign).toEqual([]);
  });

  for (const scheme of ["light", "dark"] as const) {
    test(`the task dialog with checklist, comments and activity has no serious or critical axe violations (${scheme})`, async () => {
      const title = `Accessible ${scheme}`;
      const taskId = await seededTask(title);
      await call(api(), "POST", `/api/tasks/${taskId}/comments`, {
        token: people.ada.token,
        body: {
          body: `Hello @[bob](user:${people.bob.id}), see [the docs](https://example.com) and \`code\``,
        },
      });
      const session = await openBoard(people.ada, { colorScheme: scheme });
      const page = session.page;
      await card(page, title).locator("button.card-open").click();
      const dialog = page.getByRole("dialog");
      await dialog.locator(".comment .mention").waitFor();
      await dialog.locator(".activity li").first().waitFor();
      expect(await seriousOrWorse(page)).toEqual([]);
      await page.keyboard.press("Escape");
      await page.goto(`/projects/${people.projectId}/activity`);
      await page.getByRole("heading", { name: "Activity", level: 2 }).waitFor();
      await page.locator(".activity li").first().waitFor();
      expect(await seriousOrWorse(page)).toEqual([]);
      expect(session.errors).toEqual([]);
    });
  }
});
