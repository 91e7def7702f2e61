// Failed sign-ins: counted atomically (no burst gets more guesses than the limit), per account and
// address, per address, and per account with a much higher ceiling, so an attacker's failures do not
// lock the owner out when the owner signs in from elsewhere.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ LOGIN_FAILURES_MAX: "10", LOGIN_FAILURES_ACCOUNT_MAX: "30" });
}, 120_000);
afterAll(() => t.close());

const login = (email: string, password: string, ip: string) =>
  t.call("POST", "/api/auth/login", { body: { email, password }, ip });

test("25 concurrent wrong guesses: at most 10 are evaluated, the rest are 429", async () => {
  const user = await t.signUp();
  const replies = await Promise.all(
    Array.from({ length: 25 }, () => login(user.email, "wrong password!", "198.51.100.40")),
  );
  const statuses = replies.map((reply) => reply.status);
  expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
  expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(15);
  expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
});

test("an attacker's 10 failures lock their address out of the account, not the owner elsewhere", async () => {
  const owner = await t.signUp();
  for (let i = 0; i < 10; i++)
    expect((await login(owner.email, "guess guess", "203.0.113.66")).status).toBe(401);
  const attacker = await login(owner.email, owner.password, "203.0.113.66");
  expect(attacker.status).toBe(429);
  expect(Number(attacker.headers.get("retry-after"))).toBeGreaterThan(0);
  expect((await login(owner.email, owner.password, "192.0.2.200")).status).toBe(200);
});

test("a successful sign-in does not use up the address's budget", async () => {
  const ip = "198.51.100.77";
  for (let i = 0; i < 12; i++) {
    const user = await t.signUp();
    expect((await login(user.email, user.password, ip)).status).toBe(200);
  }
});

test("failures from many addresses stop at the per-account ceiling", async () => {
  const owner = await t.signUp();
  for (let i = 0; i < 30; i++) await login(owner.email, "distributed guess", `198.18.${i}.1`);
  expect((await login(owner.email, owner.password, "198.18.200.1")).status).toBe(429);
});
