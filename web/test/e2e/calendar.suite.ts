// End-to-end: the calendar (issue 20). The month view across my projects (never another user's), drag
// to another day (dueAt checked through the API, the time of day kept), a second browser seeing it
// live, the keyboard (arrow keys between days, Shift+arrows move a task), rollback when the server
// refuses, the project's own calendar, a 375 px phone's agenda with its "Move to" field, axe in light
// and dark. The users' time-zone setting is Europe/Berlin while their browsers run in New York: days,
// times of day and moves follow the setting (neither UTC's nor the browser's days would pass).
// Run: bun run --cwd web build && bun test ./web/test/e2e/calendar.suite.ts
// With UPDATE_DOCS_SCREENSHOTS=1 the last test writes docs/screenshots/calendar.png (else web/screenshots/).
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  PASSWORD as API_PASSWORD,
  addMember,
  call,
  createProject,
  signUp as signUpByApi,
  type User,
} from "../../../api/test/support/client.ts";
import { docsScreenshotDir, type Session, seriousOrWorse, signIn, suiteStack, until } from "./harness";

setDefaultTimeout(300_000);

const { stack, open } = suiteStack();
/** The users' account setting. */
const ZONE = "Europe/Berlin";
/** Where their browsers are: 23:30 UTC is 00:30 the next day in Berlin, still 18:30 the same day here. */
const BROWSER_ZONE = "America/New_York";
const MONTH = "/calendar?date=2030-12-15";

let ada: User;
let bob: User;
let eve: User;
let launch: string;
let shared: string;
let secret: string;
/** Task ids by title. */
const ids: Record<string, string> = {};

const api = (method: string, path: string, user: User, body?: unknown) =>
  call(stack().url, method, path, { token: user.token, body });
const addTask = async (user: User, projectId: string, title: string, dueAt: string, extra = {}) => {
  const reply = await api("POST", "/api/tasks", user, { projectId, title, dueAt, ...extra });
  expect(reply.status).toBe(201);
  ids[title] = reply.body.id;
};
const dueAt = async (title: string) =>
  (await api("GET", `/api/tasks/${ids[title]}`, ada)).body.dueAt as string;

const day = (page: Page, key: string) => page.locator(`td[data-day="${key}"]`);
const chip = (page: Page, title: string) => page.locator(".cal-task", { hasText: title });
/** The day cell (or agenda day) a task is shown in. */
const dayOf = (page: Page, title: string) =>
  chip(page, title)
    .first()
    .evaluate((el) => el.closest<HTMLElement>("[data-day]")?.dataset.day ?? "");
const waitForDay = (page: Page, title: string, key: string) =>
  until(
    async () => (await chip(page, title).count()) === 1 && (await dayOf(page, title)) === key,
    `${title} on ${key}`,
  );

async function signedIn(user: User, options: Parameters<typeof open>[0] = {}): Promise<Session> {
  const session = await open({ timezoneId: BROWSER_ZONE, ...options });
  await signIn(session.page, user.email, API_PASSWORD);
  return session;
}

beforeAll(async () => {
  const base = stack().url;
  [ada, bob, eve] = await Promise.all([
    signUpByApi(base, "Ada"),
    signUpByApi(base, "Bob"),
    signUpByApi(base, "Eve"),
  ]);
  launch = await createProject(base, ada, "Launch");
  shared = await createProject(base, bob, "Bob's shared");
  secret = await createProject(base, eve, "Eve's secret");
  for (const user of [ada, bob]) {
    expect((await api("PUT", "/api/me/preferences", user, { timeZone: ZONE })).status).toBe(200);
  }
  await addMember(base, ada, launch, bob, "editor");
  await addMember(base, bob, shared, ada, "viewer");
  // 23:30 UTC on the 9th is 00:30 on the 10th in Berlin: the calendar's day is the viewer's.
  await addTask(ada, launch, "Write the post", "2030-12-09T23:30:00.000Z");
  await addTask(ada, launch, "Book the venue", "2030-12-03T09:30:00.000Z");
  await addTask(ada, launch, "Order banners", "2030-12-17T12:00:00.000Z", { assigneeId: ada.id });
  await addTask(ada, launch, "Print flyers", "2030-12-18T08:00:00.000Z");
  await addTask(bob, shared, "Bob's review", "2030-12-11T15:00:00.000Z");
  await addTask(eve, secret, "Eve's plan", "2030-12-11T10:00:00.000Z");
});

describe("month view", () => {
  test("shows my projects' tasks on the days of my time zone, never another user's; the sidebar's and the project's links lead here", async () => {
    const { page } = await signedIn(ada);
    await page.getByRole("navigation", { name: "Projects" }).getByRole("link", { name: "Calendar" }).click();
    await page.waitForURL(/\/calendar$/);
    await page.goto(MONTH);
    await page.getByRole("heading", { level: 1, name: "December 2030" }).waitFor();
    await waitForDay(page, "Write the post", "2030-12-10");
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe(BROWSER_ZONE);
    // Its time of day is Berlin's too (00:30, not New York's 18:30).
    expect(await chip(page, "Write the post").textContent()).toMatch(/\b(12:30\s?AM|00:30)/);
    await waitForDay(page, "Book the venue", "2030-12-03");
    await waitForDay(page, "Bob's review", "2030-12-11");
    expect(await chip(page, "Bob's review").textContent()).toContain("Bob's shared");
    // The grid starts on Monday 25 November, with the month's days told apart.
    expect(await page.locator("td[data-day]").first().getAttribute("data-day")).toBe("2030-11-25");
    expect(await day(page, "2030-11-25").getAttribute("class")).toContain("outside");
    expect(await page.locator("th").first().textContent()).toMatch(/^Mon/);
    expect(await page.getByText("Eve's plan").count()).toBe(0);
    // Shift+arrows on a task Ada may only read say so and move nothing.
    await chip(page, "Bob's review").focus();
    await page.keyboard.press("Shift+ArrowRight");
    await page.getByRole("status").filter({ hasText: "Bob's review cannot be moved" }).waitFor();
    expect(await dayOf(page, "Bob's review")).toBe("2030-12-11");
    // A viewer cannot drag Bob's project's task; Ada's own can be.
    expect(await chip(page, "Bob's review").getAttribute("draggable")).toBe("false");
    expect(await chip(page, "Book the venue").getAttribute("draggable")).toBe("true");

    await page.getByLabel("Only tasks assigned to me").check();
    await until(async () => (await page.locator(".cal-task").count()) === 1, "only Ada's task");
    await chip(page, "Order banners").waitFor();
    await page.getByLabel("Only tasks assigned to me").uncheck();

    await page.getByRole("button", { name: "Week", exact: true }).click();
    await until(async () => (await page.locator("td[data-day]").count()) === 7, "a week of days");
    expect(await page.locator("td[data-day]").first().getAttribute("data-day")).toBe("2030-12-09");
    await waitForDay(page, "Write the post", "2030-12-10");
    await page.getByRole("button", { name: "Next week" }).click();
    await waitForDay(page, "Order banners", "2030-12-17");
    await page.getByRole("button", { name: "Month", exact: true }).click();

    // The project's own calendar: its tab, only its tasks.
    await page.goto(`/projects/${launch}`);
    await page
      .getByRole("navigation", { name: "Project views" })
      .getByRole("link", { name: "Calendar" })
      .click();
    await page.waitForURL(new RegExp(`/projects/${launch}/calendar$`));
    await page.goto(`/projects/${launch}/calendar?date=2030-12-15`);
    await waitForDay(page, "Book the venue", "2030-12-03");
    expect(await page.getByText("Bob's review").count()).toBe(0);
    // Opening a task there opens its dialog.
    await chip(page, "Book the venue").click();
    await page.getByRole("dialog", { name: "Edit task" }).waitFor();
  });

  test("drag to another day: the due date moves, same time of day, and a second browser sees it live", async () => {
    const adaSession = await signedIn(ada);
    const bobSession = await signedIn(bob);
    for (const { page } of [adaSession, bobSession]) {
      await page.goto(MONTH);
      await waitForDay(page, "Book the venue", "2030-12-03");
      await page.getByTestId("live-state").filter({ hasText: "Live" }).waitFor();
    }
    await adaSession.page.dragAndDrop(".cal-task:has-text('Book the venue')", 'td[data-day="2030-12-05"]');
    await waitForDay(adaSession.page, "Book the venue", "2030-12-05");
    await until(
      async () => (await dueAt("Book the venue")) === "2030-12-05T09:30:00.000Z",
      "the API's dueAt",
    );
    await waitForDay(bobSession.page, "Book the venue", "2030-12-05");
    await adaSession.page.getByRole("status").filter({ hasText: "Book the venue moved to" }).waitFor();

    // Just after midnight in the user's zone stays just after midnight there on the new day.
    await adaSession.page.dragAndDrop(".cal-task:has-text('Write the post')", 'td[data-day="2030-12-12"]');
    await until(
      async () => (await dueAt("Write the post")) === "2030-12-11T23:30:00.000Z",
      "00:30 on the 12th",
    );
    await waitForDay(bobSession.page, "Write the post", "2030-12-12");
  });

  test("a refused move goes back to its day and says why", async () => {
    const { page } = await signedIn(ada);
    await page.goto(MONTH);
    await waitForDay(page, "Print flyers", "2030-12-18");
    await page.route("**/api/tasks/*", (route) =>
      route.request().method() === "PATCH"
        ? route.fulfill({
            status: 409,
            contentType: "application/json",
            body: JSON.stringify({ error: { code: "conflict", message: "The task changed meanwhile." } }),
          })
        : route.fallback(),
    );
    await page.dragAndDrop(".cal-task:has-text('Print flyers')", 'td[data-day="2030-12-20"]');
    await page.getByText("The task changed meanwhile.").waitFor();
    await waitForDay(page, "Print flyers", "2030-12-18");
    await page.getByRole("status").filter({ hasText: "Could not move Print flyers" }).waitFor();
    expect(await dueAt("Print flyers")).toBe("2030-12-18T08:00:00.000Z");
    await page.unroute("**/api/tasks/*");
  });
});

describe("keyboard", () => {
  test("arrow keys move between days (one tab stop), Page Down to the next month, Shift+arrows move a task", async () => {
    const { page } = await signedIn(ada);
    await page.goto(MONTH);
    await waitForDay(page, "Order banners", "2030-12-17");
    const focusedDay = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.day);
    // From the toolbar's last control, Tab enters the grid at the active day (the 15th, from the URL).
    await page.getByLabel("Only tasks assigned to me").focus();
    await page.keyboard.press("Tab");
    expect(await focusedDay()).toBe("2030-12-15");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowLeft");
    expect(await focusedDay()).toBe("2030-12-21");
    await page.keyboard.press("Home");
    expect(await focusedDay()).toBe("2030-12-16");
    await page.keyboard.press("ArrowRight");
    // Tab goes into the day's tasks; only the active day's tasks are tab stops.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("Order banners");
    expect(await page.locator('.cal-task[tabindex="0"]').count()).toBe(1);

    await page.keyboard.press("Shift+ArrowRight");
    await waitForDay(page, "Order banners", "2030-12-18");
    await page
      .getByRole("status")
      .filter({ hasText: /Order banners moved to .*18/ })
      .waitFor();
    await page.keyboard.press("Shift+ArrowDown");
    await waitForDay(page, "Order banners", "2030-12-25");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("Order banners");
    await until(async () => (await dueAt("Order banners")) === "2030-12-25T12:00:00.000Z", "the API's dueAt");

    // 1 January is in December's last row; a week later the view follows the task into January.
    await page.keyboard.press("Shift+ArrowDown");
    await waitForDay(page, "Order banners", "2031-01-01");
    await page.keyboard.press("Shift+ArrowDown");
    await page.getByRole("heading", { level: 1, name: "January 2031" }).waitFor();
    await waitForDay(page, "Order banners", "2031-01-08");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("Order banners");
    await until(
      async () => (await dueAt("Order banners")) === "2031-01-08T12:00:00.000Z",
      "moved into January",
    );

    await page.keyboard.press("PageUp");
    await page.getByRole("heading", { level: 1, name: "December 2030" }).waitFor();
    expect(await focusedDay()).toBe("2030-12-08");
    // Enter on a task opens it on its project's board.
    await page.keyboard.press("PageDown");
    await page.getByRole("heading", { level: 1, name: "January 2031" }).waitFor();
    // January's tasks arrive with their own request (December's did not include the 8th).
    await waitForDay(page, "Order banners", "2031-01-08");
    expect(await focusedDay()).toBe("2031-01-08");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Edit task" }).waitFor();
    expect(page.url()).toContain(`/projects/${launch}`);
  });
});

describe("phone and accessibility", () => {
  test("375 px phone: an agenda instead of the grid, and a task moved with its date field", async () => {
    const { page } = await signedIn(ada, { phone: true, width: 375, height: 740 });
    await page.goto(MONTH);
    await page.locator(".cal-agenda").waitFor();
    expect(await page.locator("table[role=grid]").count()).toBe(0);
    await waitForDay(page, "Bob's review", "2030-12-11");
    expect(await page.evaluate(() => Math.max(document.documentElement.scrollWidth, window.innerWidth))).toBe(
      375,
    );
    // Bob's project is read-only for Ada: no field to move its task.
    expect(await page.getByLabel("Move “Bob's review” to").count()).toBe(0);
    await page.getByLabel("Move “Print flyers” to").fill("2030-12-27");
    await waitForDay(page, "Print flyers", "2030-12-27");
    await until(async () => (await dueAt("Print flyers")) === "2030-12-27T08:00:00.000Z", "the API's dueAt");
    expect(await seriousOrWorse(page)).toEqual([]);
  });

  for (const colorScheme of ["light", "dark"] as const) {
    test(`axe finds nothing serious in the month and week views (${colorScheme})`, async () => {
      const { page } = await signedIn(ada, { colorScheme });
      await page.goto(MONTH);
      await waitForDay(page, "Bob's review", "2030-12-11");
      expect(await seriousOrWorse(page)).toEqual([]);
      await page.getByRole("button", { name: "Week", exact: true }).click();
      await until(async () => (await page.locator("td[data-day]").count()) === 7, "a week of days");
      expect(await seriousOrWorse(page)).toEqual([]);
    });
  }

  test("the README's screenshot", async () => {
    const dir = docsScreenshotDir();
    // A fuller month for the picture (the last test: the others never see these).
    for (const [title, due, extra] of [
      ["Kick-off with the agency", "2030-12-02T08:00:00.000Z", { status: "done" }],
      ["Draft the press release", "2030-12-04T12:00:00.000Z", {}],
      ["Approve the budget", "2030-12-11T13:30:00.000Z", { assigneeId: ada.id }],
      ["Rehearse the demo", "2030-12-16T15:00:00.000Z", {}],
      ["Launch day", "2030-12-19T07:00:00.000Z", { priority: "urgent" }],
      ["Send the newsletter", "2030-12-19T12:00:00.000Z", {}],
      ["Retrospective", "2030-12-23T14:00:00.000Z", {}],
    ] as const)
      await addTask(ada, launch, title, due, extra);
    const { page } = await signedIn(ada);
    await page.goto(MONTH);
    await waitForDay(page, "Retrospective", "2030-12-23");
    await page.getByTestId("live-state").filter({ hasText: "Live" }).waitFor();
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
    await page.screenshot({ path: join(dir, "calendar.png") });
  });
});
