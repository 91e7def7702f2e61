// End-to-end: Account → Calendar feed in real Chromium against a real API process (PostgreSQL, Redis).
// By keyboard only: create the URL, copy it, read the feed a calendar app would get (ical.js), narrow
// it to tasks assigned to me, make a new URL (the old one dies), turn it off; then a 375 px phone, and
// axe in light and dark; the README's screenshot of the section (docs/screenshots/calendar-feed.png with
// UPDATE_DOCS_SCREENSHOTS=1, else web/screenshots/).
// Run: bun run --cwd web build && bun test ./web/test/e2e/calendar-feed.suite.ts
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { call, PASSWORD, type User } from "../../../api/test/support/client.ts";
import { parseEvents } from "../../../api/test/support/ics.ts";
import { adaAndBobSuite, docsScreenshotDir, type newSession, seriousOrWorse, signIn, tabTo } from "./harness";

setDefaultTimeout(180_000);

const suite = adaAndBobSuite("Calendar");
const { api, people } = suite;

beforeAll(async () => {
  for (const [title, assignee] of [
    ["Ship the feed", people.ada],
    ["Review the feed", people.bob],
  ] as const) {
    const res = await call(api(), "POST", "/api/tasks", {
      token: people.ada.token,
      body: { projectId: people.projectId, title, dueAt: "2027-05-03T00:00:00Z", assigneeId: assignee.id },
    });
    expect(res.status).toBe(201);
  }
});

async function openSettings(user: User, options: Parameters<typeof newSession>[1] = {}) {
  const session = await suite.open(options);
  await signIn(session.page, user.email, PASSWORD);
  await session.page.goto("/settings#calendar-feed");
  await session.page.getByRole("heading", { name: "Calendar feed" }).waitFor();
  return session;
}

const feedSection = (page: Page) => page.locator("#calendar-feed");
const urlField = (page: Page) => page.getByLabel(/Your feed URL/);

/** What a calendar app gets from the URL: the event titles (ical.js), or the HTTP status if not 200. */
async function fetchFeed(url: string): Promise<string[] | number> {
  const res = await fetch(url);
  return res.status === 200
    ? parseEvents(await res.text())
        .map((event) => event.summary)
        .sort()
    : res.status;
}

describe("calendar feed", () => {
  test("keyboard only: create and copy the URL, narrow it, make a new one (the old one dies), turn it off", async () => {
    const session = await openSettings(people.ada);
    const page = session.page;
    await session.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const section = feedSection(page);

    await tabTo(page, "Create feed URL");
    await page.keyboard.press("Enter");
    // The new URL has the focus, selected, ready to copy.
    await urlField(page).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("calendar-feed-url");
    const first = await urlField(page).inputValue();
    expect(first).toMatch(/\/api\/ical\/[A-Za-z0-9_-]{43}\.ics$/);
    await section.getByText("not fetched yet").waitFor();
    expect(await fetchFeed(first)).toEqual(["Review the feed", "Ship the feed"]);

    await tabTo(page, "Copy feed URL");
    await page.keyboard.press("Enter");
    await page.getByText("Feed URL copied.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);

    await tabTo(page, "Only tasks assigned to me");
    const saved = page.waitForResponse(
      (res) => res.url().endsWith("/api/me/calendar-feed") && res.request().method() === "PATCH",
    );
    await page.keyboard.press("Space");
    expect((await saved).status()).toBe(200);
    expect(await section.getByRole("checkbox", { name: "Only tasks assigned to me" }).isChecked()).toBe(true);
    // The same URL, now only Ada's own task.
    expect(await fetchFeed(first)).toEqual(["Ship the feed"]);

    await tabTo(page, "New URL");
    await page.keyboard.press("Enter");
    const confirm = page.getByRole("alertdialog", { name: "Make a new feed URL?" });
    await confirm.waitFor();
    await tabTo(page, "Make a new URL");
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      (old) => (document.getElementById("calendar-feed-url") as HTMLInputElement | null)?.value !== old,
      first,
    );
    const second = await urlField(page).inputValue();
    expect(second).not.toBe(first);
    expect(await fetchFeed(first)).toBe(404);
    expect(await fetchFeed(second)).toEqual(["Ship the feed"]);

    await tabTo(page, "Turn off");
    await page.keyboard.press("Enter");
    await page.getByRole("alertdialog", { name: "Turn the calendar feed off?" }).waitFor();
    await tabTo(page, "Turn off");
    await page.keyboard.press("Enter");
    await section.getByRole("button", { name: "Create feed URL" }).waitFor();
    expect(await urlField(page).count()).toBe(0);
    expect(await fetchFeed(second)).toBe(404);
    // After a reload the URL is not shown again: the server does not have it.
    await page.reload();
    await section.getByRole("button", { name: "Create feed URL" }).waitFor();
  });

  test("on a 375 px phone: the section fits, the URL is made and copied by touch", async () => {
    const session = await openSettings(people.bob, { width: 375, height: 740, phone: true });
    const page = session.page;
    await session.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await feedSection(page).getByRole("button", { name: "Create feed URL" }).tap();
    await urlField(page).waitFor();
    const url = await urlField(page).inputValue();
    expect(await fetchFeed(url)).toEqual(["Review the feed", "Ship the feed"]);
    await feedSection(page).getByRole("button", { name: "Copy feed URL" }).tap();
    await page.getByText("Feed URL copied.").waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBe(0);
    for (const name of ["Copy feed URL", "New URL", "Turn off"]) {
      const box = await feedSection(page).getByRole("button", { name }).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 375, name).toBe(true);
    }
  });

  for (const scheme of ["light", "dark"] as const) {
    test(`axe (${scheme}): the section with a fresh URL has no serious or critical violations`, async () => {
      // Whatever an earlier test left: no feed yet.
      expect((await call(api(), "DELETE", "/api/me/calendar-feed", { token: people.ada.token })).status).toBe(
        204,
      );
      const session = await openSettings(people.ada, { colorScheme: scheme });
      const page = session.page;
      await feedSection(page).getByRole("button", { name: "Create feed URL" }).click();
      await urlField(page).waitFor();
      expect(await seriousOrWorse(page)).toEqual([]);
    });
  }
});

test("the README's screenshot: the calendar feed section with a URL", async () => {
  expect((await call(api(), "DELETE", "/api/me/calendar-feed", { token: people.ada.token })).status).toBe(
    204,
  );
  const { page } = await openSettings(people.ada);
  await feedSection(page).getByRole("button", { name: "Create feed URL" }).click();
  await urlField(page).waitFor();
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
  await feedSection(page).screenshot({ path: join(docsScreenshotDir(), "calendar-feed.png") });
});
