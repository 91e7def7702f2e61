import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { sign } from "hono/jwt";
import { TEST_JWT_SECRET } from "./support/api-process.ts";
import { createTestApp, refreshCookie, TEST_PASSWORD, type TestApp } from "./support/harness.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ LOGIN_FAILURES_MAX: "3" });
}, 120_000);
afterAll(() => t.close());

describe("register", () => {
  test("creates the account, returns user + access token, sets the __Host- refresh cookie", async () => {
    const email = `  Mixed.Case-${crypto.randomUUID().slice(0, 6)}@Example.TEST `;
    const res = await t.call("POST", "/api/auth/register", {
      body: { email, password: TEST_PASSWORD, name: " Ada " },
    });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(email.trim().toLowerCase());
    expect(res.body.user.name).toBe("Ada");
    expect(res.body.user).not.toHaveProperty("passwordHash");
    expect(res.body.accessToken.split(".")).toHaveLength(3);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-tp_refresh="));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Domain=/);
  });

  test("duplicate email (any case) is 409", async () => {
    const user = await t.signUp();
    const res = await t.call("POST", "/api/auth/register", {
      body: { email: user.email.toUpperCase(), password: TEST_PASSWORD, name: "X" },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("email_taken");
  });

  test("password policy: length in code points, common passwords refused, no composition rules", async () => {
    const attempt = (password: string) =>
      t.call("POST", "/api/auth/register", {
        body: { email: `${crypto.randomUUID()}@example.test`, password, name: "P" },
      });
    expect((await attempt("short")).status).toBe(422);
    // 7 emoji are 14 UTF-16 units but 7 code points: too short.
    expect((await attempt("😀😀😀😀😀😀😀")).status).toBe(422);
    expect((await attempt("😀😀😀😀😀😀😀😀")).status).toBe(201);
    const common = await attempt("password123");
    expect(common.status).toBe(422);
    expect(common.body.error.details[0].path).toBe("password");
    expect((await attempt("Football")).status).toBe(422);
    expect((await attempt("x".repeat(129))).status).toBe(422);
    expect((await attempt("alllowercasenodigits")).status).toBe(201);
  });
});

describe("login", () => {
  test("correct credentials sign in; unknown email and wrong password look the same", async () => {
    const user = await t.signUp();
    const ok = await t.call("POST", "/api/auth/login", {
      body: { email: user.email.toUpperCase(), password: user.password },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);
    const wrong = await t.call("POST", "/api/auth/login", {
      body: { email: user.email, password: "not the password" },
      ip: "192.0.2.10",
    });
    const unknown = await t.call("POST", "/api/auth/login", {
      body: { email: "nobody@example.test", password: "not the password" },
      ip: "192.0.2.11",
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  test("unknown email takes about as long as a wrong password (dummy hash)", async () => {
    const user = await t.signUp();
    const time = async (email: string, ip: string) => {
      const started = performance.now();
      await t.call("POST", "/api/auth/login", { body: { email, password: "wrong password here" }, ip });
      return performance.now() - started;
    };
    await time("warmup@example.test", "192.0.2.20");
    const known = await time(user.email, "192.0.2.21");
    const unknown = await time("ghost@example.test", "192.0.2.22");
    // Both pay one argon2id verification; without the dummy hash "unknown" would be ~0 ms.
    expect(unknown).toBeGreaterThan(known * 0.3);
  });

  test("failed logins are limited per account and address with 429 and Retry-After", async () => {
    const user = await t.signUp();
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await t.call("POST", "/api/auth/login", {
        body: { email: user.email, password: "wrong password" },
        ip: "198.51.100.1",
      });
      expect(res.status).toBe(401);
    }
    const blocked = await t.call("POST", "/api/auth/login", {
      body: { email: user.email, password: user.password },
      ip: "198.51.100.1",
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("failed logins are limited per IP across accounts", async () => {
    const ip = "203.0.113.77";
    for (let attempt = 0; attempt < 3; attempt++) {
      await t.call("POST", "/api/auth/login", {
        body: { email: `nobody${attempt}@example.test`, password: "wrong password" },
        ip,
      });
    }
    const user = await t.signUp();
    const blocked = await t.call("POST", "/api/auth/login", {
      body: { email: user.email, password: user.password },
      ip,
    });
    expect(blocked.status).toBe(429);
  });
});

describe("tokens", () => {
  test("protected routes need a valid bearer token", async () => {
    expect((await t.call("GET", "/api/auth/me")).status).toBe(401);
    const bad = await t.call("GET", "/api/auth/me", { token: "not.a.jwt" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toContain("Bearer");
  });

  test("a token without exp, with another algorithm or secret is refused", async () => {
    const user = await t.signUp();
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, sid: "s", jti: "j", iat: now };
    const noExp = await sign(claims, TEST_JWT_SECRET, "HS256");
    expect((await t.call("GET", "/api/auth/me", { token: noExp })).status).toBe(401);
    const otherAlg = await sign({ ...claims, exp: now + 60 }, TEST_JWT_SECRET, "HS512");
    expect((await t.call("GET", "/api/auth/me", { token: otherAlg })).status).toBe(401);
    const otherSecret = await sign(
      { ...claims, exp: now + 60 },
      "another-secret-another-secret-123456",
      "HS256",
    );
    expect((await t.call("GET", "/api/auth/me", { token: otherSecret })).status).toBe(401);
    const expired = await sign({ ...claims, iat: now - 1000, exp: now - 10 }, TEST_JWT_SECRET, "HS256");
    expect((await t.call("GET", "/api/auth/me", { token: expired })).status).toBe(401);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify({ ...claims, exp: now + 60 })).toString("base64url")}.`;
    expect((await t.call("GET", "/api/auth/me", { token: unsigned })).status).toBe(401);
    expect((await t.call("GET", "/api/auth/me", { token: user.token })).body.user.id).toBe(user.id);
  });
});

describe("refresh sessions", () => {
  test("refresh rotates the cookie; the just-rotated one briefly yields the same new cookie", async () => {
    const user = await t.signUp();
    const first = await t.call("POST", "/api/auth/refresh", { cookie: user.cookie });
    expect(first.status).toBe(200);
    expect(first.body.accessToken).toBeString();
    const rotated = refreshCookie(first.headers);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(user.cookie);
    // Another tab that sent the old cookie at the same moment gets the same new one (grace period).
    const late = await t.call("POST", "/api/auth/refresh", { cookie: user.cookie });
    expect(late.status).toBe(200);
    expect(refreshCookie(late.headers)).toBe(rotated as string);
  });

  test("refresh with a garbage cookie is 401 (without one: 204, see sessions.test.ts)", async () => {
    expect((await t.call("POST", "/api/auth/refresh", { cookie: "__Host-tp_refresh=garbage" })).status).toBe(
      401,
    );
    expect((await t.call("POST", "/api/auth/refresh", { cookie: "__Host-tp_refresh=a.b.c" })).status).toBe(
      401,
    );
  });

  test("logout ends the session", async () => {
    const user = await t.signUp();
    const out = await t.call("POST", "/api/auth/logout", { cookie: user.cookie });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toContain("__Host-tp_refresh=;");
    expect((await t.call("POST", "/api/auth/refresh", { cookie: user.cookie })).status).toBe(401);
  });

  test("sessions list, revoke one, revoke all others; other users' sessions are 404", async () => {
    const user = await t.signUp();
    const second = await t.call("POST", "/api/auth/login", {
      body: { email: user.email, password: user.password },
      headers: { "user-agent": "second-device" },
    });
    const third = await t.call("POST", "/api/auth/login", {
      body: { email: user.email, password: user.password },
    });
    const list = await t.call("GET", "/api/auth/sessions", { token: user.token });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(3);
    expect(list.body.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain("refreshHash");
    const secondSession = list.body.items.find((s: { userAgent: string }) => s.userAgent === "second-device");
    const stranger = await t.signUp();
    expect(
      (await t.call("DELETE", `/api/auth/sessions/${secondSession.id}`, { token: stranger.token })).status,
    ).toBe(404);
    expect(
      (await t.call("DELETE", `/api/auth/sessions/${secondSession.id}`, { token: user.token })).status,
    ).toBe(204);
    expect(
      (await t.call("POST", "/api/auth/refresh", { cookie: refreshCookie(second.headers) })).status,
    ).toBe(401);
    expect((await t.call("DELETE", "/api/auth/sessions", { token: user.token })).status).toBe(204);
    expect((await t.call("POST", "/api/auth/refresh", { cookie: refreshCookie(third.headers) })).status).toBe(
      401,
    );
    expect((await t.call("POST", "/api/auth/refresh", { cookie: user.cookie })).status).toBe(200);
  });

  test("password change checks the current password and revokes the other sessions", async () => {
    const user = await t.signUp();
    const other = await t.call("POST", "/api/auth/login", {
      body: { email: user.email, password: user.password },
    });
    const wrong = await t.call("POST", "/api/auth/password", {
      token: user.token,
      body: { currentPassword: "nope nope", newPassword: "a brand new passphrase" },
    });
    expect(wrong.status).toBe(422);
    const ok = await t.call("POST", "/api/auth/password", {
      token: user.token,
      body: { currentPassword: user.password, newPassword: "a brand new passphrase" },
    });
    expect(ok.status).toBe(204);
    expect((await t.call("POST", "/api/auth/refresh", { cookie: refreshCookie(other.headers) })).status).toBe(
      401,
    );
    expect((await t.call("POST", "/api/auth/refresh", { cookie: user.cookie })).status).toBe(200);
    expect(await t.loginStatus(user.email, user.password)).toBe(401);
    expect(await t.loginStatus(user.email, "a brand new passphrase")).toBe(200);
  });
});

describe("HTTP details", () => {
  test("responses carrying tokens or exports are Cache-Control: no-store", async () => {
    const email = `nostore-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const registered = await t.call("POST", "/api/auth/register", {
      body: { email, password: TEST_PASSWORD, name: "N" },
    });
    const login = await t.call("POST", "/api/auth/login", { body: { email, password: TEST_PASSWORD } });
    const refreshed = await t.call("POST", "/api/auth/refresh", { cookie: refreshCookie(login.headers) });
    const exported = await t.call("GET", "/api/export", { token: login.body.accessToken });
    for (const [name, res] of Object.entries({ registered, login, refreshed, exported })) {
      expect(`${name} ${res.status} ${res.headers.get("cache-control")}`).toMatch(/ 20\d no-store$/);
    }
    const failed = await t.call("POST", "/api/auth/login", { body: { email, password: "wrong one" } });
    expect(failed.headers.get("cache-control")).toBe("no-store");
  });

  test("the Authorization scheme is case-insensitive (RFC 9110)", async () => {
    const user = await t.signUp();
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const res = await t.call("GET", "/api/auth/me", {
        headers: { authorization: `${scheme} ${user.token}` },
      });
      expect(`${scheme} ${res.status}`).toBe(`${scheme} 200`);
    }
  });
});
