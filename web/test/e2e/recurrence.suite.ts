// End-to-end: recurring tasks in Chromium. An editor sets a weekly repeat in the task dialog and
// completes the task; the next occurrence appears live on the other member's board (and the repeat
// icon on both). Keyboard only; the time zone setting; a 375 px phone sets a monthly repeat and completes
// a task the same way. The README's screenshot of the Repeat control (docs/screenshots/recurrence.png
// with UPDATE_DOCS_SCREENSHOTS=1, else web/screenshots/).
// Run: bun run --cwd web build && bun test ./web/test/e2e/recurrence.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { adaAndBob, call, PASSWORD, type User } from "../../../api/test/support/client.ts";
import { card, docsScreenshotDir, seriousOrWorse, signIn, suiteStack, until, waitForTitles } from "./harness";

setDefaultTimeout(300_000);

const suite = suiteStack();
const api = () => suite.stack().apiUrl;
const { open } = suite;

/** Ada (owner) and Bob (editor) of a project with one task due on Monday 23 March 2026. */
async function seed(name: string, title: string) {
  const { ada, bob, projectId } = await adaAndBob(api(), name);
  const reply = await call(api(), "POST", "/api/tasks", {
    token: ada.token,
    body: { projectId, title, dueAt: "2026-03-23T12:00:00.000Z" },
  });
  expect(reply.status).toBe(201);
  return { ada, bob, projectId };
}

async function onBoard(page: Page, user: User, projectId: string, title: string) {
  await signIn(page, user.email, PASSWORD);
  await page.goto(`/projects/${projectId}`);
  await card(page, title).waitFor();
  await until(async () => (await page.getByTestId("live-state").textContent()) === "Live", "live");
}

const tasksTitled = async (user: User, projectId: string, title: string) =>
  (
    (await call(api(), "GET", `/api/tasks?projectId=${projectId}&sort=dueAt`, { token: user.token }))
      .body as {
      items: {
        title: string;
        dueAt: string;
        status: string;
        recurrence: { rule: string; timeZone: string } | null;
      }[];
    }
  ).items.filter((task) => task.title === title);

const repeatIcon = (page: Page, title: string) => card(page, title).locator(".repeats");

describe("a weekly repeat, live", () => {
  test("set in the dialog, completed: the next occurrence appears on the other member's board", async () => {
    const title = "Water the plants";
    const { ada, bob, projectId } = await seed("Plants", title);
    const owner = await open();
    const editor = await open();
    await onBoard(owner.page, ada, projectId, title);
    await onBoard(editor.page, bob, projectId, title);

    await card(editor.page, title).getByRole("button").click();
    const dialog = editor.page.getByRole("dialog", { name: "Edit task" });
    const repeats = dialog.getByLabel("Repeats");
    await repeats.selectOption("weekly");
    await dialog.getByRole("checkbox", { name: "Mon" }).check();
    await dialog.getByRole("checkbox", { name: "Thu" }).check();
    await dialog.locator("#task-repeat-summary", { hasText: "every week on Monday, Thursday" }).waitFor();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await repeatIcon(owner.page, title).waitFor();
    expect((await tasksTitled(ada, projectId, title))[0]?.recurrence?.rule).toBe("FREQ=WEEKLY;BYDAY=MO,TH");

    // Reopened, the dialog shows the repeat as it was set.
    await card(editor.page, title).getByRole("button").click();
    expect(await repeats.inputValue()).toBe("weekly");
    expect(await dialog.getByRole("checkbox", { name: "Thu" }).isChecked()).toBe(true);
    // Completed through the dialog's column: a move into the done column.
    await dialog.getByLabel("Column").selectOption({ label: "Done" });
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });

    await waitForTitles(owner.page, "done", [title]);
    await waitForTitles(owner.page, "todo", [title]);
    await waitForTitles(editor.page, "todo", [title]);
    await owner.page.locator('section[data-status="todo"] .card .repeats').waitFor();
    const series = await tasksTitled(ada, projectId, title);
    expect(series.map((task) => [task.status, task.dueAt])).toEqual([
      ["done", "2026-03-23T12:00:00.000Z"],
      // Thursday of the same week (UTC, Bob's zone).
      ["todo", "2026-03-26T12:00:00.000Z"],
    ]);
  });
});

describe("keyboard only", () => {
  /** Presses Tab until the focused element has `id`. */
  const tabToId = async (page: Page, id: string) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab");
      if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
    }
    throw new Error(`Tab never reached #${id}`);
  };

  test("a daily repeat set and saved with Tab, arrows and Enter", async () => {
    const title = "Check the mail";
    const { bob, projectId } = await seed("Keys", title);
    const { page } = await open();
    await onBoard(page, bob, projectId, title);
    await card(page, title).getByRole("button").focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.waitFor();
    await tabToId(page, "task-repeatFrequency");
    // Closed, a focused select takes the next option with ArrowDown: "Does not repeat" → "Daily".
    await page.keyboard.press("ArrowDown");
    await dialog.locator("#task-repeat-summary", { hasText: "every day" }).waitFor();
    await tabToId(page, "task-repeatEnd");
    await page.keyboard.press("ArrowDown");
    await tabToId(page, "task-repeatCount");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("3");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await repeatIcon(page, title).waitFor();
    expect((await tasksTitled(bob, projectId, title))[0]?.recurrence?.rule).toBe("FREQ=DAILY;COUNT=3");
  });
});

describe("the time zone setting", () => {
  test("chosen in the account settings, it is the zone of the repeats set afterwards", async () => {
    const title = "Stand-up";
    const { bob, projectId } = await seed("Zones", title);
    const { page } = await open();
    await signIn(page, bob.email, PASSWORD);
    await page.goto("/settings");
    const zone = page.getByLabel("Your time zone");
    await zone.selectOption("Europe/Paris");
    await until(
      async () =>
        (await call(api(), "GET", "/api/me/preferences", { token: bob.token })).body.timeZone ===
        "Europe/Paris",
      "the zone to be saved",
    );
    await page.reload();
    expect(await page.getByLabel("Your time zone").inputValue()).toBe("Europe/Paris");

    await page.goto(`/projects/${projectId}`);
    await card(page, title).getByRole("button").click();
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Repeats").selectOption("daily");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await until(
      async () =>
        JSON.stringify((await tasksTitled(bob, projectId, title))[0]?.recurrence) ===
        JSON.stringify({ rule: "FREQ=DAILY", from: "due", timeZone: "Europe/Paris" }),
      "the repeat in Paris time",
    );
  });
});

describe("a 375 px phone", () => {
  const onScreen = async (target: Locator, what: string) => {
    await target.scrollIntoViewIfNeeded();
    const box = await target.boundingBox();
    if (!box || box.x < 0 || box.x + box.width > 375.5)
      throw new Error(`${what} is off screen: ${JSON.stringify(box)}`);
  };

  test("the Repeat control fits and works by touch; completing shows the next occurrence", async () => {
    const title = "Pay the rent";
    const { bob, projectId } = await seed("Pocket", title);
    const { page } = await open({ phone: true, width: 375, height: 740 });
    await onBoard(page, bob, projectId, title);
    await card(page, title).getByRole("button").tap();
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Repeats").selectOption("monthly");
    await dialog.getByLabel("On day of the month").fill("23");
    await dialog.getByLabel("Ends").selectOption("count");
    await dialog.getByLabel("Times in all").fill("12");
    for (const [what, target] of [
      ["Repeats", dialog.getByLabel("Repeats")],
      ["Times in all", dialog.getByLabel("Times in all")],
      ["Next date counts from", dialog.getByLabel("Next date counts from")],
      ["Save", dialog.getByRole("button", { name: "Save" })],
    ] as const) {
      await onScreen(target, what);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await seriousOrWorse(page)).toEqual([]);
    await dialog.getByLabel("Column").selectOption({ label: "Done" });
    await dialog.getByRole("button", { name: "Save" }).tap();
    await dialog.waitFor({ state: "detached" });
    await waitForTitles(page, "todo", [title]);
    const [next] = (await tasksTitled(bob, projectId, title)).filter((task) => task.status === "todo");
    expect(next).toMatchObject({
      dueAt: "2026-04-23T12:00:00.000Z",
      recurrence: { rule: "FREQ=MONTHLY;BYMONTHDAY=23;COUNT=11" },
    });
  });
});

test("the README's screenshot: the Repeat control in the task dialog", async () => {
  const title = "Water the plants";
  const { ada, projectId } = await seed("Home", title);
  const { page } = await open();
  await onBoard(page, ada, projectId, title);
  await card(page, title).getByRole("button").click();
  const dialog = page.getByRole("dialog", { name: "Edit task" });
  await dialog.getByLabel("Repeats").selectOption("weekly");
  await dialog.getByRole("checkbox", { name: "Mon" }).check();
  await dialog.getByRole("checkbox", { name: "Thu" }).check();
  await dialog.getByLabel("Ends").selectOption("count");
  await dialog.getByLabel("Times in all").fill("10");
  const summary = dialog.locator("#task-repeat-summary", { hasText: "every week on Monday, Thursday" });
  await summary.waitFor();
  await summary.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
  await page.screenshot({ path: join(docsScreenshotDir(), "recurrence.png") });
});
