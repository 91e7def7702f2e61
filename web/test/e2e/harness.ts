// End-to-end harness: real PostgreSQL and Redis (api/test/support/services.ts), a real API process
// (api/test/support/api-process.ts) serving the built SPA through STATIC_DIR, and Debian's Chromium
// driven by playwright-core (never a downloaded browser).
import { afterAll, beforeAll, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type RunningApi, startApi } from "../../../api/test/support/api-process.ts";
import { adaAndBob } from "../../../api/test/support/client.ts";
import { freePort, startPostgres, startRedis } from "../../../api/test/support/services.ts";
import { startTestSmtp, type TestSmtp } from "../../../api/test/support/smtp.ts";
import { generateCert, startNginx } from "../../../proxy/test/harness.ts";

export const repoRoot = join(import.meta.dir, "..", "..", "..");
export const distDir = join(repoRoot, "web", "dist");
export const screenshotDir = join(repoRoot, "web", "screenshots");

/** Where a README screenshot goes: docs/screenshots/ with UPDATE_DOCS_SCREENSHOTS=1, else web/screenshots/. */
export function docsScreenshotDir(): string {
  const dir = process.env.UPDATE_DOCS_SCREENSHOTS ? join(repoRoot, "docs", "screenshots") : screenshotDir;
  mkdirSync(dir, { recursive: true });
  return dir;
}
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface Stack {
  /** Where the browser goes: the API itself, or nginx in front of it. */
  url: string;
  /** The API process itself (set-up calls, and the address the API listens on). */
  apiUrl: string;
  apiPort: number;
  browser: Browser;
  /** Stops the API process (SIGTERM); its address stops answering until startApi(). */
  stopApi(): Promise<void>;
  /** Starts the API again on the same port, with the same settings and data (if it is stopped). */
  startApi(): Promise<void>;
  /** nginx's access and error logs so far (a stack started with `nginx: true`). */
  proxyLogs(): string;
  /** The SMTP server the API sends to (a stack started with `smtp: true`). */
  smtp?: TestSmtp;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Runs the real proxy configuration (proxy/) in front of the API, over TLS. */
  nginx?: boolean;
  /**
   * A real SMTP server on loopback (api/test/support/smtp.ts) that the API sends to (SMTP_URL), links in
   * mails pointing at the API itself (PUBLIC_URL), and a job worker that polls every 100 ms.
   */
  smtp?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (!existsSync(join(distDir, "index.html"))) {
    throw new Error("web/dist is missing: run `bun run --cwd web build` first");
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const stoppers: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
  };
  let api: RunningApi | undefined;
  let proxyLogs = (): string => {
    throw new Error("no nginx in this stack");
  };
  try {
    const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    stoppers.push(
      () => pg.stop(),
      () => redis.stop(),
    );
    let smtp: TestSmtp | undefined;
    let mailEnv: Record<string, string> = {};
    let fixedPort: number | undefined;
    if (options.smtp) {
      smtp = await startTestSmtp();
      stoppers.push(() => (smtp as TestSmtp).close());
      fixedPort = await freePort();
      mailEnv = { SMTP_URL: smtp.url, PUBLIC_URL: `http://127.0.0.1:${fixedPort}`, JOBS_POLL_MS: "100" };
    }
    // Attachment files: a directory of the stack's own, which nginx serves by X-Accel-Redirect.
    const attachmentsDir = mkdtempSync(join(tmpdir(), "tp-e2e-attachments-"));
    stoppers.push(async () => rmSync(attachmentsDir, { recursive: true, force: true }));
    const apiOptions = {
      databaseUrl: pg.url,
      redisUrl: redis.url,
      port: fixedPort,
      env: {
        STATIC_DIR: distDir,
        LOG_LEVEL: "warn",
        // The suite signs up and in many times from one address.
        RATE_LIMIT_AUTH_IP: "1000",
        ATTACHMENTS_DIR: attachmentsDir,
        ...(options.nginx ? { ATTACHMENTS_ACCEL_REDIRECT: "/_attachments/" } : {}),
        ...mailEnv,
      },
    };
    api = await startApi(apiOptions);
    stoppers.push(() => (api as RunningApi).stop());
    const port = api.port;
    let url = api.url;
    if (options.nginx) {
      const cert = generateCert();
      stoppers.push(async () => rmSync(cert.dir, { recursive: true, force: true }));
      const nginx = await startNginx({
        upstreams: [`127.0.0.1:${port}`],
        distDir,
        certFile: cert.certFile,
        keyFile: cert.keyFile,
        attachmentsDir,
        // As RATE_LIMIT_AUTH_IP above: every sign-in and page load's refresh counts against nginx's zone.
        authRate: "1000r/m",
      });
      stoppers.push(() => nginx.stop());
      url = `https://localhost:${nginx.httpsPort}`;
      proxyLogs = () => `${readFileSync(nginx.accessLog, "utf8")}\n${readFileSync(nginx.errorLog, "utf8")}`;
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    stoppers.push(() => browser.close());
    return {
      url,
      apiUrl: api.url,
      apiPort: port,
      browser,
      async stopApi() {
        await api?.stop();
      },
      async startApi() {
        if (api?.proc.exitCode === null) return;
        api = await startApi({ ...apiOptions, port });
      },
      proxyLogs: () => proxyLogs(),
      smtp,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Answers every request on the port with 502, as nginx does while its upstream is gone. (A refused
 * connection would let EventSource's own retry hide a client that never reconnects by itself.)
 */
export function answerBadGateway(port: number): { requests(): number; stop(): Promise<void> } {
  let requests = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    fetch() {
      requests += 1;
      return new Response("bad gateway", { status: 502 });
    },
  });
  return { requests: () => requests, stop: () => server.stop(true) };
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Requests the page made to any other origin (must stay empty). */
  foreign: string[];
  /** Uncaught exceptions in the page (`pageerror`). */
  errors: string[];
}

export async function newSession(
  stack: Stack,
  options: {
    colorScheme?: "light" | "dark";
    width?: number;
    height?: number;
    /** A phone: honours the viewport meta tag and touch. Desktop Chromium at the same width hides
     * overflow bugs, because its layout viewport never grows with the page. */
    phone?: boolean;
    /** The browser's time zone (IANA name); the machine's without it. */
    timezoneId?: string;
  } = {},
): Promise<Session> {
  const context = await stack.browser.newContext({
    baseURL: stack.url,
    colorScheme: options.colorScheme ?? "light",
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    reducedMotion: "reduce",
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    ...(options.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    // nginx serves the test's own certificate.
    ignoreHTTPSErrors: true,
  });
  // Requests to other origins are seen from inside the page: what it loaded (resource timing) and what
  // the CSP refused. Not with page.on("request"): Playwright then announces a request with a body after
  // its response now and then, and the next call fails with "Cannot find parent object request@…".
  const foreign: string[] = [];
  await context.exposeBinding("reportForeignRequest", (_source, url: string) => {
    foreign.push(url);
  });
  await context.addInitScript(() => {
    const report = (url: string) => {
      if (/^(https?|wss?):/.test(url) && new URL(url).origin !== location.origin)
        (window as unknown as { reportForeignRequest(url: string): void }).reportForeignRequest(url);
    };
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) report(entry.name);
    }).observe({ type: "resource", buffered: true });
    document.addEventListener("securitypolicyviolation", (e) => report(e.blockedURI), true);
  });
  const page = await context.newPage();
  // Playwright turns file-chooser interception on without waiting for it when the first listener
  // subscribes, so a waitForEvent("filechooser") beside the key press or click that opens the chooser
  // can lose that race (a chooser that then opens natively is never reported). Subscribe from the start.
  page.on("filechooser", () => {});
  const errors: string[] = [];
  page.on("pageerror", (err) => {
    errors.push(err.message);
    console.error(`[page error] ${err.message}`);
  });
  // Console errors, for the message of a test that fails (see describePage). Chromium logs failed
  // requests there too, so no listener on every response is needed.
  const troubles: string[] = [];
  troublesOf.set(page, troubles);
  page.on("console", (message) => {
    if (message.type() === "error") troubles.push(message.text());
  });
  return { context, page, foreign, errors };
}

const troublesOf = new WeakMap<Page, string[]>();

/** Where the page is, what it shows, and its last console errors (failed requests log one each). */
async function describePage(page: Page): Promise<string> {
  const shown = await page
    .locator("main, [role=alert], [role=status]")
    .allInnerTexts()
    .catch(() => []);
  const troubles = (troublesOf.get(page) ?? []).slice(-10);
  return `at ${page.url()} the page showed ${JSON.stringify(shown)}; last console errors: ${JSON.stringify(troubles)}`;
}

/** Runs a sign-in or sign-up flow; when it fails, the error says what the page showed. */
async function explained(page: Page, what: string, flow: () => Promise<void>): Promise<void> {
  try {
    await flow();
  } catch (error) {
    throw new Error(`${what} failed ${await describePage(page)}`, { cause: error });
  }
}

/**
 * One stack for a suite file: started before its tests and stopped after them. Every browser session
 * opened through `open` is closed at the end, after checking it asked no other origin for anything and
 * threw no uncaught exception.
 */
export function suiteStack(options: StackOptions = {}) {
  let started: Stack | undefined;
  const sessions: Session[] = [];
  beforeAll(async () => {
    started = await startStack(options);
  });
  afterAll(async () => {
    for (const s of sessions) {
      expect(s.foreign).toEqual([]);
      expect(s.errors).toEqual([]);
      await s.context.close().catch(() => {});
    }
    await started?.stop();
  });
  const stack = (): Stack => {
    if (!started) throw new Error("the suite's stack is not started (used outside a test?)");
    return started;
  };
  return {
    stack,
    async open(sessionOptions?: Parameters<typeof newSession>[1]): Promise<Session> {
      const session = await newSession(stack(), sessionOptions);
      sessions.push(session);
      return session;
    },
  };
}

/**
 * A suite's stack (suiteStack) with Ada and Bob, members of one project named `projectName`, made
 * through the API before the tests; `people` holds them once they exist.
 */
export function adaAndBobSuite(projectName: string, options: StackOptions = {}) {
  const suite = suiteStack(options);
  const api = () => suite.stack().apiUrl;
  const people = {} as Awaited<ReturnType<typeof adaAndBob>>;
  beforeAll(async () => {
    Object.assign(people, await adaAndBob(api(), projectName));
  });
  return { ...suite, api, people };
}

/**
 * axe's serious and critical WCAG 2.1 A/AA violations on the page, one line each (none: []), once no
 * animation is running (a fading toast or dialog would be measured half-transparent).
 */
export async function seriousOrWorse(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

let counter = 0;
export function uniqueEmail(prefix = "user"): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.test`;
}
export const PASSWORD = "correct horse battery staple";

export async function signUp(page: Page, name: string, email: string, password = PASSWORD): Promise<void> {
  await explained(page, "sign-up", async () => {
    await page.goto("/signup");
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  });
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await explained(page, "sign-in", async () => {
    await page.goto("/signin");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  });
}

export async function createProject(page: Page, name: string): Promise<string> {
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Project name").fill(name);
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  const match = /\/projects\/([^/?#]+)/.exec(page.url());
  if (!match?.[1]) throw new Error(`not on a project page: ${page.url()}`);
  return match[1];
}

/** An account made through the API, for users who only need to exist (e.g. to be invited). */
export async function registerUser(stack: Stack, name: string, email: string): Promise<void> {
  const res = await fetch(`${stack.url}/api/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, email, password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${await res.text()}`);
}

/** Presses Tab until the focused element's accessible text (a control's: its label's) is `name` (keyboard only). */
export async function tabTo(page: Page, name: string | RegExp, limit = 100) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLInputElement | null;
      return (el?.getAttribute("aria-label") || el?.labels?.[0]?.textContent || el?.textContent || "").trim();
    });
    if (typeof name === "string" ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

/** Polls `check` until it holds; the error names what never happened. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export type Column = "todo" | "in_progress" | "done";
export const column = (page: Page, status: Column) => page.locator(`section[data-status="${status}"]`);
export const card = (page: Page, title: string) => page.locator(".card", { hasText: title });
export const titlesIn = (page: Page, status: Column) =>
  column(page, status).locator(".card-title").allTextContents();

/** Waits until `status`'s column shows exactly `titles`, in order. */
export async function waitForTitles(page: Page, status: Column, titles: string[]): Promise<void> {
  let seen: string[] = [];
  try {
    await until(
      async () => {
        seen = await titlesIn(page, status);
        return JSON.stringify(seen) === JSON.stringify(titles);
      },
      `${status} to show ${JSON.stringify(titles)}`,
    );
  } catch {
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
}
