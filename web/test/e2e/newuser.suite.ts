// End-to-end: what a new user runs into first. Every form used twice in a row, every page on a
// phone, two tabs of one account, quick keyboard moves, errors and limits worded for people.
// Run: bun run --cwd web build && bun test ./web/test/e2e/newuser.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Locator, Page, Route } from "playwright-core";
import {
  card,
  column,
  createProject,
  PASSWORD,
  registerUser,
  signUp,
  suiteStack,
  uniqueEmail,
  until,
  waitForTitles,
} from "./harness";

setDefaultTimeout(300_000);

const { stack, open } = suiteStack();

const quickAdd = async (page: Page, title: string) => {
  await page.getByLabel("New task title").fill(title);
  await page.keyboard.press("Enter");
  await card(page, title).waitFor();
};

/** Holds the requests `url` matches until released; `seen` lists their bodies in order. */
function holdRequests(page: Page, url: string) {
  const seen: string[] = [];
  let release = () => {};
  let gate = Promise.resolve();
  const handler = async (route: Route) => {
    seen.push(route.request().postData() ?? "");
    await gate;
    await route.continue();
  };
  return {
    seen,
    async hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
      await page.route(url, handler);
    },
    release: () => release(),
  };
}

describe("every form works twice in a row", () => {
  test("new project, new task, quick add, edit task and rename project, each twice", async () => {
    const { page } = await open();
    await signUp(page, "Nia", uniqueEmail("nia"));
    await createProject(page, "First project");
    await page.getByRole("button", { name: "New project" }).click();
    expect(await page.getByLabel("Project name").inputValue()).toBe("");
    await page.getByRole("button", { name: "New project" }).click();
    const projectId = await createProject(page, "Second project");
    await page.getByRole("link", { name: /First project/ }).waitFor();

    // New task dialog twice: the second one starts empty, with the defaults.
    for (const [title, priority] of [
      ["Alpha", "high"],
      ["Beta", "low"],
    ] as const) {
      await page.getByRole("button", { name: "Add task to In progress" }).click();
      const dialog = page.getByRole("dialog", { name: "New task" });
      expect(await dialog.getByLabel("Title").inputValue()).toBe("");
      expect(await dialog.getByLabel("Priority").inputValue()).toBe("medium");
      expect(
        await dialog.getByLabel("Column").evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text),
      ).toBe("In progress");
      await dialog.getByLabel("Title").fill(title);
      await dialog.getByLabel("Priority").selectOption(priority);
      await dialog.getByRole("button", { name: "Create task" }).click();
      await dialog.waitFor({ state: "hidden" });
      await column(page, "in_progress").locator(".card", { hasText: title }).waitFor();
    }
    await quickAdd(page, "Gamma");
    expect(await page.getByLabel("New task title").inputValue()).toBe("");
    await quickAdd(page, "Delta");

    // Edit one task twice: the second edit starts from the first one's result.
    await card(page, "Alpha").getByRole("button").click();
    let dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Title").fill("Alpha renamed");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await card(page, "Alpha renamed").getByRole("button").click();
    dialog = page.getByRole("dialog", { name: "Edit task" });
    expect(await dialog.getByLabel("Title").inputValue()).toBe("Alpha renamed");
    await dialog.getByLabel("Priority").selectOption("urgent");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await until(
      async () => (await card(page, "Alpha renamed").textContent())?.includes("Urgent") ?? false,
      "urgent",
    );

    // Rename the project twice.
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    for (const name of ["Renamed once", "Renamed twice"]) {
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("heading", { level: 1, name }).waitFor();
    }

    // All of it reached the server.
    await page.goto(`/projects/${projectId}`);
    await page.getByRole("heading", { level: 1, name: "Renamed twice" }).waitFor();
    await waitForTitles(page, "in_progress", ["Alpha renamed", "Beta"]);
    await waitForTitles(page, "todo", ["Gamma", "Delta"]);
    expect(await card(page, "Alpha renamed").textContent()).toContain("Urgent");
    expect(await card(page, "Beta").textContent()).toContain("Low");
  });

  test("invite twice: the role goes back to editor after each invite", async () => {
    const { page } = await open();
    await signUp(page, "Owen", uniqueEmail("owen"));
    await createProject(page, "Team");
    const viewer = uniqueEmail("vera");
    const second = uniqueEmail("sam");
    await registerUser(stack(), "Vera Viewer", viewer);
    await registerUser(stack(), "Sam Second", second);
    await page.getByRole("link", { name: "Settings", exact: true }).click();

    const role = page.getByLabel("Role", { exact: true });
    expect(await role.inputValue()).toBe("editor");
    await page.getByLabel("Email").fill(viewer);
    await role.selectOption("viewer");
    await page.getByRole("button", { name: "Invite" }).click();
    await page.locator(".member", { hasText: "Vera Viewer" }).waitFor();
    // The member may show (live event) before the invite's answer: the toast says the form is done.
    await page.getByText(`Invited ${viewer} as viewer.`).waitFor();
    expect(await page.getByLabel("Email").inputValue()).toBe("");
    expect(await role.inputValue()).toBe("editor");

    // The next invite, role untouched, makes an editor (not an owner).
    await page.getByLabel("Email").fill(second);
    await page.getByRole("button", { name: "Invite" }).click();
    await page.locator(".member", { hasText: "Sam Second" }).waitFor();
    await page.reload();
    await until(
      async () =>
        (await page
          .getByLabel("Role of Sam Second")
          .inputValue()
          .catch(() => "")) === "editor",
      "Sam to be an editor",
    );
    expect(await page.getByLabel("Role of Vera Viewer").inputValue()).toBe("viewer");
  });

  test("change the password twice", async () => {
    const { page } = await open();
    const email = uniqueEmail("pat");
    await signUp(page, "Pat", email);
    await page.goto("/settings");
    let current = PASSWORD;
    for (const next of ["first new passphrase", "second new passphrase"]) {
      await page.getByLabel("Current password").fill(current);
      await page.getByLabel("New password", { exact: true }).fill(next);
      await page.getByLabel("Repeat new password").fill(next);
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByText("Password changed.").last().waitFor();
      await until(async () => (await page.getByLabel("Current password").inputValue()) === "", "form reset");
      current = next;
    }
    const other = await open();
    await other.page.goto("/signin");
    await other.page.getByLabel("Email").fill(email);
    await other.page.getByLabel("Password").fill("second new passphrase");
    await other.page.getByRole("button", { name: "Sign in" }).click();
    await other.page.getByRole("button", { name: "Sign out" }).waitFor();
  });
});

describe("the board under quick keyboard moves", () => {
  test("moves issued while an earlier move is in flight are sent after it and land in order", async () => {
    const { page } = await open();
    await signUp(page, "Quinn", uniqueEmail("quinn"));
    const projectId = await createProject(page, "Fast fingers");
    for (const title of ["One", "Two", "Three"]) await quickAdd(page, title);
    // Saved (a placeholder's button is disabled until the server answers).
    for (const title of ["One", "Two", "Three"])
      await card(page, title).locator("button:not([disabled])").waitFor();
    const moves = holdRequests(page, "**/api/tasks/*/move");

    // Shift+↓ twice while the server has not answered the first move yet.
    await moves.hold();
    await card(page, "One").getByRole("button").focus();
    await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Shift+ArrowDown");
    await waitForTitles(page, "todo", ["Two", "Three", "One"]);
    expect(moves.seen).toHaveLength(1);
    moves.release();
    await until(async () => moves.seen.length === 2, "the second move request");

    // Shift+→ twice, the same way.
    await moves.hold();
    await card(page, "Two").getByRole("button").focus();
    await page.keyboard.press("Shift+ArrowRight");
    await page.keyboard.press("Shift+ArrowRight");
    await waitForTitles(page, "done", ["Two"]);
    expect(moves.seen).toHaveLength(3);
    moves.release();
    await until(async () => moves.seen.length === 4, "the fourth move request");
    // Moves name the column (its kind is the status the column stands for).
    const kindOf: Record<string, string> = await page.evaluate(() =>
      Object.fromEntries(
        [...document.querySelectorAll<HTMLElement>("section[data-column-id]")].map((s) => [
          s.dataset.columnId,
          s.dataset.status,
        ]),
      ),
    );
    const sent = moves.seen.map((body) => JSON.parse(body) as { status?: string; columnId?: string });
    expect(sent.map((body) => body.status ?? kindOf[body.columnId ?? ""])).toEqual([
      "todo",
      "todo",
      "in_progress",
      "done",
    ]);

    // The server applied them in order.
    await page.unroute("**/api/tasks/*/move");
    await page.goto(`/projects/${projectId}`);
    await waitForTitles(page, "todo", ["Three", "One"]);
    await waitForTitles(page, "done", ["Two"]);
  });
});

describe("phone-sized screens", () => {
  /** The page is as wide as the phone: with `isMobile`, innerWidth grows with the page. */
  const width = (page: Page) =>
    page.evaluate(() => Math.max(document.documentElement.scrollWidth, window.innerWidth));
  const wider = (page: Page, device: number) =>
    page.evaluate(
      (device) =>
        [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > device + 0.5)
          .slice(0, 5)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className} “${el.textContent?.slice(0, 30)}”`),
      device,
    );
  const expectFits = async (page: Page, device: number, what: string) => {
    const seen = await width(page);
    if (seen !== device)
      throw new Error(`${what}: ${seen} px wide on a ${device} px phone; ${await wider(page, device)}`);
  };
  /** Fully inside the phone's screen (after scrolling it into view, as a user would). */
  const expectOnScreen = async (page: Page, target: Locator, device: number, what: string) => {
    await target.scrollIntoViewIfNeeded();
    const box = await target.boundingBox();
    const height = await page.evaluate(() => window.visualViewport?.height ?? window.innerHeight);
    if (
      !box ||
      box.x < 0 ||
      box.y < 0 ||
      box.x + box.width > device + 0.5 ||
      box.y + box.height > height + 0.5
    )
      throw new Error(`${what} is off screen: ${JSON.stringify(box)} on ${device}×${height}`);
  };

  for (const device of [360, 375]) {
    test(`every page fits ${device} px; the task dialog's buttons and the toasts can be tapped`, async () => {
      const { page } = await open({ phone: true, width: device, height: 740 });
      await page.goto("/signin");
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await expectFits(page, device, "sign in");
      await page.goto("/signup");
      await page.getByRole("heading", { name: "Create your account" }).waitFor();
      await expectFits(page, device, "sign up");
      await signUp(page, "Phoebe", uniqueEmail("phoebe"));
      await page.getByRole("heading", { name: "Welcome to TaskPlatform" }).waitFor();
      await expectFits(page, device, "home");

      await page.getByRole("button", { name: "Projects menu" }).tap();
      await createProject(page, "Pocket");
      await quickAdd(page, "Small screen task");
      // A card in the last column, with the screen-reader-only "Due" and "Assigned to" texts.
      await page.getByRole("button", { name: "Add task to Done" }).tap();
      const created = page.getByRole("dialog", { name: "New task" });
      await created.getByLabel("Title").fill("Finished on a phone");
      await created.getByLabel("Due date").fill("2030-05-17");
      await created.getByLabel("Assignee").selectOption({ label: "Phoebe" });
      await expectOnScreen(page, created.getByRole("button", { name: "Create task" }), device, "Create task");
      await page.tap('dialog button:has-text("Create task")');
      await created.waitFor({ state: "hidden" });
      await column(page, "done").locator(".card", { hasText: "Finished on a phone" }).waitFor();
      await expectFits(page, device, "board");

      // The task dialog: on screen, every button reachable by touch.
      const dialog = page.getByRole("dialog", { name: "Edit task" });
      const openTask = async () => {
        await card(page, "Small screen task").getByRole("button").tap();
        await dialog.waitFor();
      };
      await openTask();
      await expectFits(page, device, "task dialog");
      for (const name of ["Close", "Archive", "Delete", "Cancel", "Save"]) {
        await expectOnScreen(
          page,
          dialog.getByRole("button", { name, exact: true }),
          device,
          `${name} button`,
        );
      }
      await dialog.getByRole("button", { name: "Close", exact: true }).tap();
      await dialog.waitFor({ state: "hidden" });
      await openTask();
      await dialog.getByRole("button", { name: "Cancel" }).tap();
      await dialog.waitFor({ state: "hidden" });
      await openTask();
      await dialog.getByLabel("Priority").selectOption("urgent");
      await dialog.getByRole("button", { name: "Save" }).tap();
      await dialog.waitFor({ state: "hidden" });
      await until(
        async () => (await card(page, "Small screen task").textContent())?.includes("Urgent") ?? false,
        "saved",
      );
      await openTask();
      await dialog.getByRole("button", { name: "Delete" }).tap();
      const confirm = page.getByRole("alertdialog");
      await expectOnScreen(page, confirm.getByRole("button", { name: "Delete task" }), device, "Delete task");
      await confirm.getByRole("button", { name: "Delete task" }).tap();
      await card(page, "Small screen task").waitFor({ state: "detached" });
      const undo = page.getByRole("button", { name: "Undo" });
      await expectOnScreen(page, page.locator(".toast", { hasText: "Deleted" }), device, "the Undo toast");
      await undo.tap();
      await card(page, "Small screen task").waitFor();
      await expectFits(page, device, "board after undo");

      await page.getByRole("link", { name: "List" }).tap();
      await page.locator(".tasks-table").waitFor();
      await expectFits(page, device, "list");
      await page
        .getByRole("navigation", { name: "Project views" })
        .getByRole("link", { name: "Calendar" })
        .tap();
      await page.locator(".cal-agenda").waitFor();
      await expectFits(page, device, "project calendar");
      await page.goto("/calendar?date=2030-05-01");
      await page.locator(".cal-agenda .cal-title", { hasText: "Finished on a phone" }).waitFor();
      await expectFits(page, device, "calendar");
      await page.goBack();
      await page.locator(".cal-agenda").waitFor();
      await page.getByRole("link", { name: "Settings", exact: true }).tap();
      await page.getByRole("heading", { name: "Members" }).waitFor();
      await expectFits(page, device, "project settings");
      await page.goto("/settings");
      await page.locator(".session").first().waitFor();
      await expectFits(page, device, "account");
      await page.goto("/no/such/page");
      await page.getByRole("heading", { name: "Page not found" }).waitFor();
      await expectFits(page, device, "not found");
    });
  }
});

describe("errors and limits people can act on", () => {
  test("an error toast stays with the page it is about", async () => {
    const { page } = await open();
    await signUp(page, "Rita", uniqueEmail("rita"));
    await createProject(page, "Errors");
    await page.route("**/api/tasks", (route) =>
      route.request().method() === "POST"
        ? route.fulfill({
            status: 503,
            json: { error: { code: "unavailable", message: "The server is busy. Try again in a moment." } },
          })
        : route.continue(),
    );
    await page.getByLabel("New task title").fill("Not today");
    await page.keyboard.press("Enter");
    await page.locator(".toast-error", { hasText: "The server is busy" }).waitFor();
    await page.getByRole("link", { name: "List" }).click();
    await page.locator(".filters").waitFor();
    expect(await page.locator(".toast-error").count()).toBe(0);
  });

  test("a page that cannot load (after a deploy) offers a reload", async () => {
    const { page } = await open();
    await signUp(page, "Sol", uniqueEmail("sol"));
    await createProject(page, "Deploys");
    await page.route(/\/assets\/List-[^/]*\.js$/, (route) => route.abort());
    await page.getByRole("link", { name: "List" }).click();
    await page.getByRole("heading", { name: "This page could not be loaded" }).waitFor();
    expect(await page.getByText(/dynamically imported|module/i).count()).toBe(0);
    await page.unroute(/\/assets\/List-[^/]*\.js$/);
    await page.getByRole("button", { name: "Reload" }).click();
    await page.locator(".filters").waitFor();
  });

  test("long names: a counter near the limit, nothing cut off, a message a person understands", async () => {
    const { page } = await open();
    await signUp(page, "Tess", uniqueEmail("tess"));
    await page.getByRole("button", { name: "New project" }).click();
    const name = page.getByLabel("Project name");
    await name.fill("n".repeat(79));
    expect(await page.getByText("79 of 100 characters").count()).toBe(0);
    await name.fill("n".repeat(85));
    await page.getByText("85 of 100 characters").waitFor();
    await name.fill("n".repeat(101));
    expect((await name.inputValue()).length).toBe(101);
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByText("Use at most 100 characters.").waitFor();
    expect(await page.getByText(/too big|expected string/i).count()).toBe(0);
    await name.fill("n".repeat(100));
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { level: 1, name: "n".repeat(100) }).waitFor();

    // Project settings name, task title and description: the same rules.
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    const rename = page.getByLabel("Name", { exact: true });
    await rename.fill("r".repeat(101));
    expect((await rename.inputValue()).length).toBe(101);
    await page.getByText("101 of 100 characters").waitFor();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Use at most 100 characters.").waitFor();

    await page.getByRole("link", { name: "Board" }).click();
    await page.getByRole("button", { name: "Add task to To do" }).click();
    const dialog = page.getByRole("dialog", { name: "New task" });
    await dialog.getByLabel("Title").fill("t".repeat(205));
    expect((await dialog.getByLabel("Title").inputValue()).length).toBe(205);
    await dialog.getByText("205 of 200 characters").waitFor();
    await dialog.getByLabel("Description").fill("d".repeat(8_500));
    await dialog.getByText("8,500 of 10,000 characters").waitFor();
    await dialog.getByRole("button", { name: "Create task" }).click();
    await dialog.getByText("Use at most 200 characters.").waitFor();
  });

  test("the list filters share one line at 1280 px", async () => {
    const { page } = await open({ width: 1280 });
    await signUp(page, "Uma", uniqueEmail("uma"));
    await createProject(page, "Filters");
    await page.getByRole("link", { name: "List" }).click();
    await page.locator(".filters").waitFor();
    // Fields align on their bottom edge; a field more than half a field lower is on another line.
    const fields = await page.locator(".filters .field").evaluateAll((all) =>
      all.map((f) => ({
        label: f.querySelector("label")?.textContent,
        ...f.getBoundingClientRect().toJSON(),
      })),
    );
    const first = fields[0] as { bottom: number; height: number };
    const wrapped = fields.filter((f) => f.bottom > first.bottom + first.height / 2);
    if (wrapped.length) throw new Error(`on a second line: ${wrapped.map((f) => f.label).join(", ")}`);
  });
});

describe("two tabs of one account", () => {
  test("changes made in one tab appear in the other", async () => {
    const one = await open();
    await signUp(one.page, "Val", uniqueEmail("val"));
    const projectId = await createProject(one.page, "Shared tabs");
    const two = await one.context.newPage();
    await two.goto(`/projects/${projectId}`);
    await two.getByRole("heading", { level: 1, name: "Shared tabs" }).waitFor();
    for (const page of [one.page, two]) {
      await until(async () => (await page.getByTestId("live-state").textContent()) === "Live", "live");
    }

    await quickAdd(one.page, "From tab one");
    await card(two, "From tab one").waitFor();
    await quickAdd(two, "From tab two");
    await card(one.page, "From tab two").waitFor();
    await card(two, "From tab one").getByRole("button").focus();
    await two.keyboard.press("Shift+ArrowRight");
    await column(one.page, "in_progress").locator(".card", { hasText: "From tab one" }).waitFor();
    await two.getByRole("button", { name: "New project" }).click();
    await two.getByLabel("Project name").fill("Made in tab two");
    await two.getByRole("button", { name: "Create project" }).click();
    await one.page.getByRole("link", { name: /Made in tab two/ }).waitFor();

    // Both tabs keep their session across reloads.
    await one.page.reload();
    await card(one.page, "From tab two").waitFor();
    await two.reload();
    await two.getByRole("heading", { level: 1, name: "Made in tab two" }).waitFor();
  });
});
