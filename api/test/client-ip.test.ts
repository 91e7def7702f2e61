// The client address (per-address rate limits, login-failure counters, session records) comes from
// X-Forwarded-For only when the peer is a configured proxy, and then from the right: hops appended by
// trusted proxies are skipped, anything the client wrote to the left of them is ignored.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, TEST_PASSWORD, type TestApp } from "./support/harness.ts";

setDefaultTimeout(60_000);

/** Signs in over a real socket from 127.0.0.1 and returns the address the session recorded. */
async function recordedIp(t: TestApp, xff: string | undefined): Promise<string> {
  const user = await t.signUp();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (xff !== undefined) headers["x-forwarded-for"] = xff;
  const login = await fetch(`${t.listen()}/api/auth/login`, {
    method: "POST",
    headers,
    body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
  });
  expect(login.status).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const sessions = await fetch(`${t.listen()}/api/auth/sessions`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const { items } = (await sessions.json()) as { items: { ip: string; current: boolean }[] };
  return items.find((session) => session.current)?.ip ?? "";
}

describe("a proxy elsewhere (TRUST_PROXY=10.0.0.0/8), request from 127.0.0.1", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: "10.0.0.0/8", RATE_LIMIT_AUTH_IP: "4" });
  }, 120_000);
  afterAll(() => t.close());

  test("X-Forwarded-For from an untrusted peer is ignored, so spoofing it escapes no limit", async () => {
    expect(await recordedIp(t, "203.0.113.9")).toBe("127.0.0.1");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${t.listen()}/api/auth/refresh`, {
        method: "POST",
        headers: { "x-forwarded-for": `198.51.100.${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(429);
  });
});

describe("trusted proxies (TRUST_PROXY=127.0.0.1,10.0.0.0/8)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: "127.0.0.1, 10.0.0.0/8" });
  }, 120_000);
  afterAll(() => t.close());

  test("the client is the first untrusted hop from the right", async () => {
    expect(await recordedIp(t, "6.6.6.6, 203.0.113.5, 10.1.1.1")).toBe("203.0.113.5");
    expect(await recordedIp(t, "203.0.113.6")).toBe("203.0.113.6");
    expect(await recordedIp(t, " 2001:db8::1 ")).toBe("2001:db8::1");
    // Every hop trusted: the leftmost is the best we know.
    expect(await recordedIp(t, "10.0.0.7, 10.0.0.8")).toBe("10.0.0.7");
  });

  test("garbage or huge hops are never taken as an address", async () => {
    expect(await recordedIp(t, "not-an-ip")).toBe("127.0.0.1");
    expect(await recordedIp(t, `203.0.113.7, ${"x".repeat(5000)}`)).toBe("127.0.0.1");
    expect(await recordedIp(t, undefined)).toBe("127.0.0.1");
  });
});
