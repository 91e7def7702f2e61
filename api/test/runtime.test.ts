// In-process runtime behaviour: rate limits, health, metrics, request ids and logs.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, TEST_PASSWORD, type TestApp } from "./support/harness.ts";
import { CONTRACT_METRICS } from "./support/metric-names.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_AUTH_IP: "5", RATE_LIMIT_USER: "8", RATE_LIMIT_IP: "1000" });
}, 120_000);
afterAll(() => t.close());

describe("rate limits", () => {
  test("auth endpoints per IP: 429 with Retry-After and RateLimit-* headers", async () => {
    const ip = "198.18.0.1";
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestApp["call"]>> | undefined;
    for (let i = 0; i < 7; i++) {
      last = await t.call("POST", "/api/auth/login", {
        ip,
        body: { email: `x${i}@example.test`, password: "whatever it is" },
      });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(last?.body.error.code).toBe("rate_limited");
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(last?.headers.get("ratelimit-limit")).toBe("5");
    expect(last?.headers.get("ratelimit-remaining")).toBe("0");
    // Another address is not affected.
    expect(
      (
        await t.call("POST", "/api/auth/login", {
          ip: "198.18.0.2",
          body: { email: "y@example.test", password: "whatever it is" },
        })
      ).status,
    ).toBe(401);
  });

  test("per user across the API, with remaining counts on successful responses", async () => {
    const registered = await t.call("POST", "/api/auth/register", {
      ip: "198.18.1.1",
      body: { email: "limited@example.test", password: TEST_PASSWORD, name: "L" },
    });
    const token = registered.body.accessToken;
    const first = await t.call("GET", "/api/projects", { token, ip: "198.18.1.2" });
    expect(first.headers.get("ratelimit-limit")).toBe("8");
    expect(first.headers.get("ratelimit-remaining")).toBe("7");
    let status = 200;
    for (let i = 0; i < 8 && status === 200; i++)
      status = (await t.call("GET", "/api/projects", { token, ip: `198.18.2.${i}` })).status;
    expect(status).toBe(429);
    const metric = await t.metrics.registry.getSingleMetric("rate_limited_total")?.get();
    expect(metric?.values.find((v) => v.labels.scope === "user")?.value).toBeGreaterThan(0);
  });

  test("an ended session's token neither signs in nor counts against its user's limit", async () => {
    const user = await t.signUp();
    const login = await t.call("POST", "/api/auth/login", {
      ip: "198.18.3.1",
      body: { email: user.email, password: user.password },
    });
    const live = login.body.accessToken;
    expect((await t.call("POST", "/api/auth/logout", { cookie: user.cookie, ip: "198.18.3.2" })).status).toBe(
      204,
    );
    for (let i = 0; i < 10; i++) {
      const refused = await t.call("GET", "/api/projects", { token: user.token, ip: `198.18.4.${i}` });
      expect(refused.status).toBe(401);
      expect(refused.body.error.message).toBe("this session has ended; sign in again");
      expect(refused.headers.get("ratelimit-limit")).toBe("1000");
    }
    const first = await t.call("GET", "/api/projects", { token: live, ip: "198.18.3.3" });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-limit")).toBe("8");
    expect(first.headers.get("ratelimit-remaining")).toBe("7");
  });
});

describe("health", () => {
  test("liveness and readiness", async () => {
    expect((await t.call("GET", "/api/health")).body).toEqual({ status: "ok" });
    const ready = await t.call("GET", "/api/ready");
    expect(ready.status).toBe(200);
    // the public answer is a status only; the per-dependency detail is on the internal path
    expect(ready.body).toEqual({ status: "ok" });
    const detail = await t.call("GET", "/internal/ready");
    expect(detail.status).toBe(200);
    expect(detail.body.checks.postgres.status).toBe("ok");
    expect(detail.body.checks.redis.status).toBe("ok");
  });
});

describe("metrics and logs", () => {
  test("/metrics exposes route templates, never raw ids", async () => {
    await t.call("GET", `/api/tasks/${crypto.randomUUID()}`);
    const text = (await t.call("GET", "/metrics")).text;
    expect(text).toContain('http_requests_total{method="GET",route="/api/tasks/:id",status="401"}');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.2"/);
    for (const name of CONTRACT_METRICS) expect(text).toContain(`# TYPE ${name.replace(/_bucket$/, "")} `);
    expect(text).not.toMatch(/route="\/api\/tasks\/[0-9a-f]{8}-/);
  });

  test("request ids are echoed back, taken from X-Request-Id when sane", async () => {
    const own = await t.call("GET", "/api/health", { headers: { "x-request-id": "abc-123" } });
    expect(own.headers.get("x-request-id")).toBe("abc-123");
    const generated = await t.call("GET", "/api/health", {
      headers: { "x-request-id": "bad id with spaces\n" },
    });
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("one JSON line per request with the documented fields, and no secrets in any line", async () => {
    const before = t.logs.length;
    const email = `secret-${crypto.randomUUID().slice(0, 6)}@example.test`;
    const password = "my very secret passphrase";
    const reg = await t.call("POST", "/api/auth/register", {
      ip: "198.18.3.1",
      body: { email, password, name: "S" },
    });
    const token = reg.body.accessToken as string;
    const cookie = reg.headers.getSetCookie().join();
    await t.call("GET", "/api/auth/me", {
      token,
      ip: "198.18.3.2",
      headers: { "x-request-id": "log-check-1" },
    });
    await t.call("POST", "/api/auth/login", {
      ip: "198.18.3.3",
      body: { email, password: "wrong secret value" },
    });
    const lines = t.logs.slice(before).map((line) => JSON.parse(line));
    const me = lines.find((line) => line.requestId === "log-check-1");
    expect(me).toMatchObject({
      level: "info",
      msg: "request",
      method: "GET",
      route: "/api/auth/me",
      status: 200,
      userId: reg.body.user.id,
    });
    expect(typeof me.durationMs).toBe("number");
    expect(typeof me.time).toBe("string");
    const all = t.logs.slice(before).join("\n");
    for (const secret of [
      password,
      "wrong secret value",
      token,
      token.split(".")[2] as string,
      cookie.split("=")[1]?.split(";")[0] as string,
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
