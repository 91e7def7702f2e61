// End-to-end, sessions in Chromium: an anonymous visitor's page loads log no console error (the silent
// refresh without a cookie answers 204, not 401), and tabs of one browser that renew at the same moment
// stay signed in (Web Locks queue their refreshes; the server forgives a race anyway).
// Run: bun run --cwd web build && bun test ./web/test/e2e/auth.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ConsoleMessage } from "playwright-core";
import { signUp, suiteStack, uniqueEmail } from "./harness";

setDefaultTimeout(180_000);

const { open } = suiteStack();

describe("anonymous visitor", () => {
  test("loading / and /signin logs no console error; the silent refresh answers 204", async () => {
    const visitor = await open();
    const errors: string[] = [];
    visitor.page.on("console", (message: ConsoleMessage) => {
      if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
    });
    visitor.page.on("pageerror", (error) => errors.push(error.message));
    for (const path of ["/", "/signin"]) {
      const refreshed = visitor.page.waitForResponse((res) => res.url().endsWith("/api/auth/refresh"));
      await visitor.page.goto(path);
      expect((await refreshed).status()).toBe(204);
      await visitor.page.getByRole("button", { name: "Sign in" }).waitFor();
    }
    expect(errors).toEqual([]);
  });
});

describe("several tabs", () => {
  test("four tabs reloading at once all stay signed in, and so does the next load", async () => {
    const first = await open();
    await signUp(first.page, "Tabby", uniqueEmail("tabs"));
    const pages = [first.page, ...(await Promise.all([1, 2, 3].map(() => first.context.newPage())))];
    const signedIn = (page: (typeof pages)[number]) =>
      page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 30_000 });
    await Promise.all(pages.map((page) => page.goto("/")));
    await Promise.all(pages.map(signedIn));
    // Every tab renews its access token through the shared cookie at the same moment.
    await Promise.all(pages.map((page) => page.reload()));
    await Promise.all(pages.map(signedIn));
    await first.page.reload();
    await signedIn(first.page);
  });
});
