// End-to-end: live updates recover by themselves. Real API process (production mode: PostgreSQL, Redis,
// a fixed JWT_SECRET, so sign-ins survive an API restart), stopped and started again on the same port
// while browsers keep their pages open; directly and through the real nginx configuration.
// Run: bun run --cwd web build && bun test ./web/test/e2e/live.suite.ts
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import {
  addMember,
  createProject,
  createTask,
  PASSWORD,
  signUp as signUpByApi,
} from "../../../api/test/support/client.ts";
import { answerBadGateway, newSession, type Session, type Stack, signIn, startStack } from "./harness";

setDefaultTimeout(180_000);

/** How soon a browser must show "Live" again once the API answers. */
const RECOVERY_MS = 10_000;

const liveState = (page: Page) => page.getByTestId("live-state");
const card = (page: Page, title: string) => page.locator(".card", { hasText: title });

async function until(check: () => boolean, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

/** Two users who share a project, each signed in in a browser of their own and on its board. */
async function twoOnOneBoard(stack: Stack, sessions: Session[]) {
  const ada = await signUpByApi(stack.apiUrl, "ada");
  const bob = await signUpByApi(stack.apiUrl, "bob");
  const projectId = await createProject(stack.apiUrl, ada, "Live board");
  await addMember(stack.apiUrl, ada, projectId, bob);
  const browsers: Session[] = [];
  for (const user of [ada, bob]) {
    const session = await newSession(stack);
    sessions.push(session);
    browsers.push(session);
    await signIn(session.page, user.email, PASSWORD);
    await session.page.goto(`/projects/${projectId}`);
    await liveState(session.page).filter({ hasText: "Live" }).waitFor({ timeout: RECOVERY_MS });
  }
  const [adaBrowser, bobBrowser] = browsers as [Session, Session];
  return { ada, bob, projectId, adaBrowser, bobBrowser };
}

async function addTaskInBrowser(page: Page, title: string) {
  await page.getByLabel("New task title").fill(title);
  await page.keyboard.press("Enter");
  await card(page, title).waitFor();
}

async function expectLiveAgain(pages: Page[]) {
  await Promise.all(
    pages.map((page) => liveState(page).filter({ hasText: "Live" }).waitFor({ timeout: RECOVERY_MS })),
  );
}

describe("directly on the API", () => {
  let stack: Stack;
  const sessions: Session[] = [];
  beforeAll(async () => {
    stack = await startStack();
  });
  // A failed test may leave the API stopped.
  afterEach(() => stack.startApi());
  afterAll(async () => {
    for (const s of sessions) await s.context.close().catch(() => {});
    await stack?.stop();
  });

  test("two users recover after the API was down (answering 502) and restarted on the same port", async () => {
    const { adaBrowser, bobBrowser } = await twoOnOneBoard(stack, sessions);
    const pages = [adaBrowser.page, bobBrowser.page];
    await stack.stopApi();
    const gateway = answerBadGateway(stack.apiPort);
    try {
      await Promise.all(
        pages.map((page) => liveState(page).filter({ hasText: "Reconnecting" }).waitFor({ timeout: 10_000 })),
      );
      // Both browsers must try again by themselves while the address answers 502.
      await until(() => gateway.requests() >= 4, "reconnect attempts against the 502", 10_000);
    } finally {
      await gateway.stop();
    }
    await stack.startApi();
    await expectLiveAgain(pages);
    expect([...adaBrowser.errors, ...bobBrowser.errors]).toEqual([]);

    await addTaskInBrowser(adaBrowser.page, "After the restart");
    await card(bobBrowser.page, "After the restart").waitFor({ timeout: 5000 });
  });

  test("two tabs of one user both stay live, recover, and both get changes", async () => {
    const { bob, projectId, adaBrowser } = await twoOnOneBoard(stack, sessions);
    // A second tab in the same browser: the session comes from the shared refresh cookie.
    const second = await adaBrowser.context.newPage();
    second.on("pageerror", (err) => adaBrowser.errors.push(err.message));
    await second.goto(`/projects/${projectId}`);
    const tabs = [adaBrowser.page, second];
    await expectLiveAgain(tabs);

    const first = await createTask(stack.apiUrl, bob, projectId, "Seen in both tabs");
    expect(first.status).toBe(201);
    await Promise.all(tabs.map((tab) => card(tab, "Seen in both tabs").waitFor({ timeout: 5000 })));

    await stack.stopApi();
    const gateway = answerBadGateway(stack.apiPort);
    try {
      await until(() => gateway.requests() >= 2, "reconnect attempts against the 502", 10_000);
    } finally {
      await gateway.stop();
    }
    await stack.startApi();
    await expectLiveAgain(tabs);
    await addTaskInBrowser(second, "From the second tab");
    await card(adaBrowser.page, "From the second tab").waitFor({ timeout: 5000 });
    const again = await createTask(stack.apiUrl, bob, projectId, "Both tabs again");
    expect(again.status).toBe(201);
    await Promise.all(tabs.map((tab) => card(tab, "Both tabs again").waitFor({ timeout: 5000 })));
    // Neither tab signed the other out (two tabs refreshing the shared session at once revoke it).
    await Promise.all(tabs.map((tab) => tab.getByRole("button", { name: "Sign out" }).waitFor()));
    expect(adaBrowser.errors).toEqual([]);
  });

  test("a change made while a browser was offline appears when it is back online", async () => {
    const { ada, projectId, bobBrowser } = await twoOnOneBoard(stack, sessions);
    // Bob has received no event yet: he comes back without a last event id of his own.
    await bobBrowser.context.setOffline(true);
    await liveState(bobBrowser.page).filter({ hasText: "Reconnecting" }).waitFor({ timeout: 5000 });
    const missed = await createTask(stack.apiUrl, ada, projectId, "Made while Bob was offline");
    expect(missed.status).toBe(201);
    await bobBrowser.context.setOffline(false);
    await expectLiveAgain([bobBrowser.page]);
    await card(bobBrowser.page, "Made while Bob was offline").waitFor({ timeout: RECOVERY_MS });
    expect(bobBrowser.errors).toEqual([]);
  });
});

describe("through nginx (the real proxy configuration)", () => {
  let stack: Stack;
  const sessions: Session[] = [];
  beforeAll(async () => {
    stack = await startStack({ nginx: true });
  });
  afterEach(() => stack.startApi());
  afterAll(async () => {
    for (const s of sessions) await s.context.close().catch(() => {});
    await stack?.stop();
  });

  test("two users recover after nginx answered 502 for a while; no token reaches nginx's logs", async () => {
    const { ada, bob, adaBrowser, bobBrowser } = await twoOnOneBoard(stack, sessions);
    const pages = [adaBrowser.page, bobBrowser.page];
    // Every bearer token the browsers hold, as sent in their requests.
    const tokens = new Set<string>([ada.token, bob.token]);
    for (const session of [adaBrowser, bobBrowser]) {
      session.page.on("request", (request) => {
        const bearer = request.headers().authorization?.replace(/^Bearer /, "");
        if (bearer) tokens.add(bearer);
      });
    }
    const proxied502 = () => (stack.proxyLogs().match(/"status":502/g) ?? []).length;

    await stack.stopApi();
    await Promise.all(
      pages.map((page) => liveState(page).filter({ hasText: "Reconnecting" }).waitFor({ timeout: 10_000 })),
    );
    await until(() => proxied502() >= 4, "reconnect attempts answered 502 by nginx", 15_000);
    await stack.startApi();
    await expectLiveAgain(pages);
    expect([...adaBrowser.errors, ...bobBrowser.errors]).toEqual([]);

    await addTaskInBrowser(bobBrowser.page, "Through the proxy");
    await card(adaBrowser.page, "Through the proxy").waitFor({ timeout: 5000 });

    const logs = stack.proxyLogs();
    expect(logs).toContain("connect() failed");
    expect(tokens.size).toBeGreaterThan(2);
    for (const token of tokens) expect(logs.includes(token)).toBe(false);
    expect(logs).not.toContain("access_token");
    expect(logs).not.toContain("eyJ");
  });
});
