// End-to-end: Account → Mail notifications on a 375 px phone, keyboard only, against a real API process
// and a real SMTP server (the stack's `smtp` option). Bob reaches the "assigned" setting with Tab, turns
// it off with the arrow keys; Ada then assigns him a task and mentions him: only the mention is mailed,
// and its footer links back to this page. Turning all mail off disables the per-kind settings and
// survives a reload. axe in light and dark, with mail on and all off.
// Run: bun run --cwd web build && bun test ./web/test/e2e/mail-preferences.suite.ts
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { adaAndBob, call, createTask, PASSWORD, type User } from "../../../api/test/support/client.ts";
import { decodedBody } from "../../../api/test/support/mail-links.ts";
import type { TestSmtp } from "../../../api/test/support/smtp.ts";
import { seriousOrWorse, signIn, suiteStack } from "./harness";

setDefaultTimeout(180_000);

const suite = suiteStack({ smtp: true });
const api = () => suite.stack().apiUrl;
const smtp = (): TestSmtp => suite.stack().smtp as TestSmtp;
let ada: User;
let bob: User;
let projectId: string;

beforeAll(async () => {
  ({ ada, bob, projectId } = await adaAndBob(api(), "Mail settings"));
});

/** Presses Tab until the element with this id has the focus (at most `max` times). */
async function tabTo(page: Page, id: string, max = 60) {
  for (let i = 0; i < max; i += 1) {
    if (await page.evaluate((target) => document.activeElement?.id === target, id)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`#${id} never got the focus by Tab`);
}

const saved = (page: Page) =>
  page.waitForResponse((r) => r.url().endsWith("/api/me/preferences") && r.request().method() === "PUT");

describe("mail preferences", () => {
  test("on a phone, by keyboard: assignments off; a mention still comes, linking back to the settings", async () => {
    const phone = await suite.open({ width: 375, height: 740, phone: true });
    const page = phone.page;
    await signIn(page, bob.email, PASSWORD);
    await page.goto("/settings#notifications");
    const assigned = page.getByLabel("A task is assigned to me");
    await expect(assigned.inputValue()).resolves.toBe("immediately");
    expect(await page.getByLabel("A comment on a task I'm assigned to or watch").inputValue()).toBe("digest");

    // Keyboard only: Tab to the select, arrows to "Off" (Immediately → Daily digest → Off).
    await page.locator("body").focus();
    await tabTo(page, "mail-assigned");
    let save = saved(page);
    await page.keyboard.press("ArrowDown");
    expect((await save).status()).toBe(200);
    save = saved(page);
    await page.keyboard.press("ArrowDown");
    expect((await save).status()).toBe(200);
    expect(await assigned.inputValue()).toBe("off");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBe(0);
    const box = await assigned.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 375).toBe(true);

    // Ada assigns Bob a task, then mentions him on it: the mention is mailed, the assignment is not.
    const title = `Quiet assignment ${crypto.randomUUID().slice(0, 6)}`;
    const task = await createTask(api(), ada, projectId, title);
    expect(
      (
        await call(api(), "PATCH", `/api/tasks/${task.body.id}`, {
          token: ada.token,
          body: { assigneeId: bob.id },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(api(), "POST", `/api/tasks/${task.body.id}/comments`, {
          token: ada.token,
          body: { body: `@[bob](user:${bob.id}) have a look` },
        })
      ).status,
    ).toBe(201);
    const [mention] = await smtp().waitFor(
      1,
      (m) => m.envelopeTo.includes(bob.email) && decodedBody(m.raw).includes("mentioned you"),
      30_000,
    );
    const toBob = smtp().received.filter((m) => m.envelopeTo.includes(bob.email));
    expect(toBob.filter((m) => decodedBody(m.raw).includes("assigned"))).toHaveLength(0);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/settings#notifications)/.exec(
      decodedBody(mention?.raw ?? ""),
    )?.[1];
    expect(link).toBeDefined();

    // The footer's link opens this section; mail off altogether, by keyboard, disables the kinds.
    await page.goto(link as string);
    const allMail = page.getByLabel("Send me notification mails");
    await expect(allMail.isChecked()).resolves.toBe(true);
    await page.locator("body").focus();
    await tabTo(page, "mail-enabled");
    save = saved(page);
    await page.keyboard.press("Space");
    expect((await save).status()).toBe(200);
    await expect(assigned.isDisabled()).resolves.toBe(true);
    await page.reload();
    await expect(allMail.isChecked()).resolves.toBe(false);
    expect(await assigned.inputValue()).toBe("off");
    expect(await assigned.isDisabled()).toBe(true);
  });

  for (const scheme of ["light", "dark"] as const) {
    test(`axe (${scheme}): the mail settings, on and all off, have no serious or critical violations`, async () => {
      const session = await suite.open({ colorScheme: scheme });
      const page = session.page;
      await signIn(page, ada.email, PASSWORD);
      await page.goto("/settings#notifications");
      const allMail = page.getByLabel("Send me notification mails");
      await page.getByLabel("I'm added to a project").waitFor();
      expect(await seriousOrWorse(page)).toEqual([]);
      const save = saved(page);
      await allMail.click();
      expect((await save).status()).toBe(200);
      await expect(page.getByLabel("Someone mentions me").isDisabled()).resolves.toBe(true);
      expect(await seriousOrWorse(page)).toEqual([]);
      // Back on, for the other scheme's run.
      const back = saved(page);
      await allMail.click();
      expect((await back).status()).toBe(200);
    });
  }
});
