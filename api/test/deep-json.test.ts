// Deeply nested JSON must be refused cheaply, before anything walks it: an unauthenticated client
// could otherwise freeze the event loop (or overflow the stack) with a few kilobytes of brackets.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  base = t.listen();
}, 120_000);
afterAll(() => t.close());

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const post = (path: string, body: string) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

test("a body nested deeper than 64 levels is a 422 too_deep, answered at once", async () => {
  for (const body of [nested(20_000), nested(100_000), `{"a":${nested(65)}}`]) {
    const started = performance.now();
    const res = await post("/api/auth/logout", body);
    const ms = performance.now() - started;
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("too_deep");
    expect(ms).toBeLessThan(50);
  }
  // 64 levels are still fine (the route then ignores the body).
  expect((await post("/api/auth/logout", nested(64))).status).toBe(204);
  // Brackets inside strings are text, not nesting.
  const user = await t.signUp();
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: user.email, password: "[".repeat(500) }),
  });
  expect(res.status).toBe(401);
});

test("/api/health stays fast while 8 deep bodies are being refused", async () => {
  const body = nested(200_000);
  let pending = 8;
  const attacks = Array.from({ length: 8 }, () =>
    post("/api/tasks", body).then((res) => {
      pending -= 1;
      return res.status;
    }),
  );
  // Health is asked over and over while the attacks are in flight; the slowest answer counts.
  let slowest = 0;
  do {
    const started = performance.now();
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    slowest = Math.max(slowest, performance.now() - started);
  } while (pending > 0);
  expect(slowest).toBeLessThan(250);
  for (const status of await Promise.all(attacks)) expect(status).toBe(422);
});
