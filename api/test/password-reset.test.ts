// Password reset (migration 0011) on real PostgreSQL, Redis and a real SMTP server: the same answer, the
// same work and indistinguishable timing for addresses with and without an account; the mail and its
// single-use 30-minute link (only its hash stored); every session ended; limits per client address and
// per e-mail address; expired, used, forged and malformed links; bad input.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { tokenHash } from "../src/auth/link-tokens.ts";
import { RESETS_PER_ACCOUNT, RESETS_PER_ADDRESS } from "../src/auth/password-reset.ts";
import { RESET_ANSWER } from "../src/auth/routes.ts";
import { createTestApp, refreshCookie, type TestApp, type TestUser } from "./support/harness.ts";
import { linkToken } from "./support/mail-links.ts";
import { type ReceivedMail, startTestSmtp, type TestSmtp } from "./support/smtp.ts";

setDefaultTimeout(60_000);

let smtp: TestSmtp;
let t: TestApp;
let ipCount = 0;
/** A client address of its own for each request that is not about the per-address limit. */
const freshIp = () => {
  ipCount += 1;
  return `198.51.${Math.floor(ipCount / 250)}.${ipCount % 250}`;
};

beforeAll(async () => {
  smtp = await startTestSmtp();
  t = await createTestApp({
    SMTP_URL: smtp.url,
    PUBLIC_URL: "https://tasks.example.test",
    JOBS_RETRY_BASE_MS: "50",
  });
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}@example.test`;
const ask = (email: unknown, ip = freshIp()) =>
  t.call("POST", "/api/auth/password-reset", { ip, body: { email } });
const complete = (token: string, password = "a brand new passphrase 7") =>
  t.call("POST", "/api/auth/password-reset/complete", { ip: freshIp(), body: { token, password } });

async function mailTo(to: string, count = 1): Promise<ReceivedMail> {
  await t.jobs.drain();
  const mails = await smtp.waitFor(count, (m) => m.envelopeTo.includes(to));
  return mails[mails.length - 1] as ReceivedMail;
}
const resetLink = (mail: ReceivedMail) => linkToken(mail, "/reset-password");
const resetJobs = async () =>
  (await t.sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'password-reset.request'`)[0]?.n as number;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe("asking for a reset", () => {
  test("the same answer, the same work, and timings that cannot be told apart", async () => {
    const users = await Promise.all(Array.from({ length: 4 }, (_, i) => t.signUp(`Timing ${i}`)));
    const strangers = Array.from({ length: 4 }, (_, i) => unique(`nobody${i}`));
    const known: number[] = [];
    const unknown: number[] = [];
    const shape = (reply: Awaited<ReturnType<typeof ask>>) => ({
      status: reply.status,
      body: reply.body,
      headers: [...reply.headers.entries()]
        .filter(([name]) => name !== "x-request-id" && !name.startsWith("ratelimit"))
        .sort(),
    });
    // Interleaved, so load on a shared machine falls on both alike; within every budget.
    for (let round = 0; round < RESETS_PER_ACCOUNT; round++) {
      for (let i = 0; i < users.length; i++) {
        const before = await resetJobs();
        let started = performance.now();
        const a = await ask((users[i] as TestUser).email);
        known.push(performance.now() - started);
        started = performance.now();
        const b = await ask(strangers[i]);
        unknown.push(performance.now() - started);
        expect(shape(a)).toEqual(shape(b));
        expect(a.status).toBe(202);
        expect(a.body).toEqual({ message: RESET_ANSWER });
        // Both paths did the same thing: one job each, queued before the answer.
        expect(await resetJobs()).toBe(before + 2);
      }
    }
    // The lookup happens after the answer, so the difference is noise. A generous bound (a loaded
    // 2-core machine) that still fails for a path doing an argon2id hash or a mail send (≥ 30 ms) inline.
    const [k, u] = [median(known), median(unknown)];
    expect(Math.abs(k - u), `medians ${k.toFixed(1)} ms and ${u.toFixed(1)} ms`).toBeLessThan(
      Math.max(25, 0.5 * Math.max(k, u)),
    );

    // Only the accounts get mail; strangers get none.
    await t.jobs.drain();
    for (const user of users)
      await smtp.waitFor(RESETS_PER_ACCOUNT, (m) => m.envelopeTo.includes(user.email));
    for (const stranger of strangers)
      expect(smtp.received.filter((m) => m.envelopeTo.includes(stranger))).toHaveLength(0);
    expect(
      await t.sql`SELECT 1 FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = ANY(${strangers})`,
    ).toHaveLength(0);
  });

  test(`at most ${RESETS_PER_ACCOUNT} an hour per e-mail address, with or without an account: then 429 JSON alike`, async () => {
    const user = await t.signUp("Limited");
    const stranger = unique("limited");
    for (let i = 0; i < RESETS_PER_ACCOUNT; i++) {
      expect((await ask(user.email)).status).toBe(202);
      expect((await ask(stranger)).status).toBe(202);
    }
    const [a, b] = [await ask(user.email), await ask(stranger)];
    for (const refused of [a, b]) {
      expect(refused.status).toBe(429);
      expect(refused.headers.get("content-type")).toContain("application/json");
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(refused.body.error.code).toBe("too_many_attempts");
    }
    expect(a.body).toEqual(b.body);
    // Differently spelled, the same address: the same budget.
    expect((await ask(`  ${user.email.toUpperCase()} `)).status).toBe(429);
  });

  test(`at most ${RESETS_PER_ADDRESS} an hour per client address`, async () => {
    const ip = "203.0.113.50";
    for (let i = 0; i < RESETS_PER_ADDRESS; i++)
      expect((await ask(unique(`from-ip${i}`), ip)).status).toBe(202);
    const refused = await ask(unique("one-more"), ip);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("too_many_attempts");
    expect((await ask(unique("elsewhere"), "203.0.113.51")).status).toBe(202);
  });

  test("bad input: 422 JSON, nothing queued; a name with CR/LF injects no header", async () => {
    const before = await resetJobs();
    for (const email of [
      `${"a".repeat(250)}@example.test`,
      `${"a".repeat(100_000)}@example.test`,
      "not-an-address",
      "x@example.test\r\nBcc: victim@example.test",
      "",
      42,
      null,
    ]) {
      const reply = await ask(email);
      expect(reply.status, String(email).slice(0, 40)).toBe(422);
      expect(reply.body.error.code).toBe("validation_failed");
    }
    expect(
      (await t.call("POST", "/api/auth/password-reset", { body: { email: "a@example.test", x: 1 } })).status,
    ).toBe(422);
    expect(await resetJobs()).toBe(before);
    // Unicode: refused as sign-up refuses it, or accepted like any other address; never a 500.
    expect([202, 422]).toContain((await ask(`用户-${crypto.randomUUID().slice(0, 4)}@例子.测试`)).status);

    const user = await t.signUp("Mallory\r\nBcc: victim@example.test");
    await ask(user.email);
    const mail = await mailTo(user.email);
    expect(mail.headers.map(([name]) => name)).not.toContain("bcc");
    expect(mail.envelopeTo).toEqual([user.email]);
    expect(mail.subject).toBe("Reset your TaskPlatform password");
  });
});

describe("setting the new password", () => {
  test("the link (only its hash stored) sets it once, ends every session, and signs this browser in", async () => {
    const user = await t.signUp("Forgetful");
    // A second session elsewhere.
    const other = await t.call("POST", "/api/auth/login", {
      body: { email: user.email, password: user.password },
    });
    const otherCookie = refreshCookie(other.headers) as string;
    await ask(user.email);
    const token = resetLink(await mailTo(user.email));
    expect(decodeURIComponent(token)).toBe(token);
    const [row] =
      await t.sql`SELECT r.token_hash, r.expires_at - r.created_at AS ttl FROM password_resets r WHERE r.user_id = ${user.id}`;
    expect(row?.tokenHash).toBe(tokenHash(token));
    const dump = JSON.stringify([
      await t.sql`SELECT * FROM password_resets`,
      await t.sql`SELECT * FROM jobs`,
      await t.sql`SELECT * FROM mail_outbox`,
    ]);
    expect(dump).not.toContain(token);
    expect(t.logs.join("\n")).not.toContain(token);

    // A weak password is refused without using the link up.
    expect((await complete(token, "password")).status).toBe(422);
    const done = await complete(token);
    expect(done.status).toBe(200);
    expect(done.body.user.email).toBe(user.email);
    expect(done.headers.get("cache-control")).toBe("no-store");
    expect((await t.call("GET", "/api/auth/me", { token: done.body.accessToken })).status).toBe(200);
    // Every earlier session ended: refresh cookies and access tokens alike.
    for (const cookie of [user.cookie, otherCookie])
      expect((await t.call("POST", "/api/auth/refresh", { cookie })).status).toBe(401);
    expect((await t.call("GET", "/api/auth/me", { token: user.token })).status).toBe(401);
    expect(await t.loginStatus(user.email, user.password)).toBe(401);
    expect(await t.loginStatus(user.email, "a brand new passphrase 7")).toBe(200);
    // Single use.
    const again = await complete(token, "yet another passphrase 8");
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("reset_link_invalid");
  });

  test("using one link ends the account's other open links", async () => {
    const user = await t.signUp("Twice");
    await ask(user.email);
    const first = resetLink(await mailTo(user.email));
    await ask(user.email);
    const second = resetLink(await mailTo(user.email, 2));
    expect(second).not.toBe(first);
    expect((await complete(second)).status).toBe(200);
    expect((await complete(first)).status).toBe(404);
  });

  test("a reset ends the account's calendar feed (whoever held the account may have made it)", async () => {
    const user = await t.signUp("Taken back");
    const made = await t.call("POST", "/api/me/calendar-feed", { token: user.token, body: {} });
    const feed = new URL(made.body.url).pathname;
    expect((await t.call("GET", feed)).status).toBe(200);
    await ask(user.email);
    expect((await complete(resetLink(await mailTo(user.email)))).status).toBe(200);
    expect((await t.call("GET", feed)).status).toBe(404);
  });

  test("expired, forged and malformed links", async () => {
    const user = await t.signUp("Late");
    await ask(user.email);
    const token = resetLink(await mailTo(user.email));
    const [ttl] =
      await t.sql`SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM password_resets WHERE user_id = ${user.id}`;
    expect(ttl?.seconds).toBeGreaterThan(29 * 60);
    expect(ttl?.seconds).toBeLessThanOrEqual(30 * 60);
    await t.sql`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = ${user.id}`;
    const expired = await complete(token);
    expect(expired.status).toBe(404);
    expect(expired.body.error.code).toBe("reset_link_invalid");

    const forged = await complete(
      Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"),
    );
    expect(forged.status).toBe(404);
    expect(forged.body).toEqual(expired.body);
    for (const bad of ["", "short", "a".repeat(44), "a".repeat(100_000), `${"a".repeat(42)}=`, 7]) {
      const reply = await t.call("POST", "/api/auth/password-reset/complete", {
        body: { token: bad, password: "a brand new passphrase 7" },
      });
      expect(reply.status).toBe(422);
    }
  });

  test("a request the worker reaches after 30 minutes sends nothing", async () => {
    const user = await t.signUp("Slow worker");
    await ask(user.email);
    await t.sql`
      UPDATE jobs SET payload = jsonb_set(payload, '{requestedAt}', to_jsonb((extract(epoch FROM now()) * 1000 - 31 * 60 * 1000)::bigint))
      WHERE kind = 'password-reset.request' AND payload->>'email' = ${user.email} AND done_at IS NULL`;
    await t.jobs.drain();
    expect(smtp.received.filter((m) => m.envelopeTo.includes(user.email))).toHaveLength(0);
    expect(await t.sql`SELECT 1 FROM password_resets WHERE user_id = ${user.id}`).toHaveLength(0);
  });
});
