// Refresh sessions at the HTTP level: concurrent refreshes, who may end a session, access tokens of
// ended sessions, the anonymous visitor's refresh, and what the session list tells apart.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, refreshCookie, type TestApp } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 120_000);
afterAll(() => t.close());

const refresh = (cookie: string | undefined) => t.call("POST", "/api/auth/refresh", { cookie });
const login = (email: string, password: string, userAgent = "test") =>
  t.call("POST", "/api/auth/login", { body: { email, password }, headers: { "user-agent": userAgent } });

describe("concurrent refreshes", () => {
  test("two refreshes with the same token at once both succeed, with the same new token (10 pairs)", async () => {
    for (let pair = 0; pair < 10; pair++) {
      const user = await t.signUp();
      const [a, b] = await Promise.all([refresh(user.cookie), refresh(user.cookie)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(refreshCookie(a.headers)).toBe(refreshCookie(b.headers) as string);
      expect((await t.call("GET", "/api/auth/me", { token: b.body.accessToken })).status).toBe(200);
      // The session lives on.
      expect((await refresh(refreshCookie(a.headers))).status).toBe(200);
    }
  });

  test("a token older than the one just rotated is reuse: the session is revoked", async () => {
    const user = await t.signUp();
    const second = refreshCookie((await refresh(user.cookie)).headers);
    const third = refreshCookie((await refresh(second)).headers);
    expect((await refresh(user.cookie)).status).toBe(401);
    expect((await refresh(third)).status).toBe(401);
  });
});

describe("only the correct token ends a session", () => {
  test("logout or refresh with the right session id but a wrong secret changes nothing", async () => {
    const user = await t.signUp();
    const sessionId = user.cookie.split("=")[1]?.split(".")[0];
    const forged = `__Host-tp_refresh=${sessionId}.${"A".repeat(43)}`;
    expect((await t.call("POST", "/api/auth/logout", { cookie: forged })).status).toBe(204);
    expect((await refresh(forged)).status).toBe(401);
    expect((await t.call("GET", "/api/auth/me", { token: user.token })).status).toBe(200);
    expect((await refresh(user.cookie)).status).toBe(200);
  });
});

describe("access tokens of ended sessions", () => {
  test("after logout the session's access token is refused", async () => {
    const user = await t.signUp();
    expect((await t.call("GET", "/api/projects", { token: user.token })).status).toBe(200);
    expect((await t.call("POST", "/api/auth/logout", { cookie: user.cookie })).status).toBe(204);
    const me = await t.call("GET", "/api/auth/me", { token: user.token });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe("unauthorized");
    expect((await t.call("GET", "/api/projects", { token: user.token })).status).toBe(401);
  });

  test("a password change or 'sign out others' ends the other sessions' access tokens at once", async () => {
    const user = await t.signUp();
    const other = (await login(user.email, user.password)).body.accessToken;
    const third = (await login(user.email, user.password)).body.accessToken;
    expect((await t.call("DELETE", "/api/auth/sessions", { token: third })).status).toBe(204);
    expect((await t.call("GET", "/api/auth/me", { token: other })).status).toBe(401);
    expect((await t.call("GET", "/api/auth/me", { token: user.token })).status).toBe(401);
    const fourth = (await login(user.email, user.password)).body.accessToken;
    const changed = await t.call("POST", "/api/auth/password", {
      token: third,
      body: { currentPassword: user.password, newPassword: "another sturdy passphrase" },
    });
    expect(changed.status).toBe(204);
    expect((await t.call("GET", "/api/auth/me", { token: fourth })).status).toBe(401);
    expect((await t.call("GET", "/api/auth/me", { token: third })).status).toBe(200);
  });
});

describe("anonymous visitors", () => {
  test("refresh without a cookie is 204 with no body; a wrong cookie is still 401", async () => {
    const anonymous = await refresh(undefined);
    expect(anonymous.status).toBe(204);
    expect(anonymous.text).toBe("");
    expect((await refresh("__Host-tp_refresh=garbage")).status).toBe(401);
  });
});

describe("session list", () => {
  test("marks the current session and tells the others apart: browser, OS, last use, address", async () => {
    const user = await t.signUp();
    const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const safari =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const phone = await login(user.email, user.password, safari);
    const desktop = await login(user.email, user.password, firefox);
    const before = await t.call("GET", "/api/auth/sessions", { token: desktop.body.accessToken });
    const phoneId = refreshCookie(phone.headers)?.split("=")[1]?.split(".")[0];
    const phoneBefore = before.body.items.find((s: { id: string }) => s.id === phoneId);
    // Refreshing records the use: time, address and browser.
    const refreshed = await t.call("POST", "/api/auth/refresh", {
      cookie: refreshCookie(phone.headers),
      headers: { "user-agent": safari },
      ip: "203.0.113.44",
    });
    expect(refreshed.status).toBe(200);
    const list = await t.call("GET", "/api/auth/sessions", { token: desktop.body.accessToken });
    const byId = Object.fromEntries(list.body.items.map((s: { id: string }) => [s.id, s]));
    const current = list.body.items.filter((s: { current: boolean }) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0]).toMatchObject({ browser: "Firefox 128", os: "Linux" });
    expect(byId[phoneId as string]).toMatchObject({ browser: "Safari 17", os: "iOS 17", ip: "203.0.113.44" });
    expect(byId[phoneId as string].lastUsedAt > phoneBefore.lastUsedAt).toBe(true);
    expect(Object.keys(current[0]).sort()).toEqual(
      ["browser", "createdAt", "current", "id", "ip", "lastUsedAt", "os", "userAgent"].sort(),
    );
  });
});
