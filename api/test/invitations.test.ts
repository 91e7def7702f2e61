// Invitations (migration 0011) on real PostgreSQL and a real SMTP server: the same answer whether or
// not an address has an account, the mail and its single-use link (only its hash stored), sign-up with
// the link, the pending list, revoke and re-send, expiry, another project's ids, limits and bad input.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { tokenHash } from "../src/auth/link-tokens.ts";
import { INVITATIONS_PER_HOUR } from "../src/invitations/service.ts";
import { createTestApp, TEST_PASSWORD, type TestApp, type TestUser } from "./support/harness.ts";
import { linkToken } from "./support/mail-links.ts";
import { type ReceivedMail, startTestSmtp, type TestSmtp } from "./support/smtp.ts";

setDefaultTimeout(60_000);

const PUBLIC_URL = "https://tasks.example.test";
let smtp: TestSmtp;
let t: TestApp;
let owner: TestUser;
let projectId: string;

beforeAll(async () => {
  smtp = await startTestSmtp();
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL, JOBS_RETRY_BASE_MS: "50" });
  owner = await t.signUp("Olivia\r\nBcc: victim@example.test");
  projectId = await t.createProject(owner, "Launch\nX-Evil: 1");
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}@example.test`;
const invite = (
  email: string,
  options: { project?: string; token?: string; role?: string; ip?: string } = {},
) =>
  t.call("POST", `/api/projects/${options.project ?? projectId}/invitations`, {
    token: options.token ?? owner.token,
    ip: options.ip,
    body: { email, role: options.role ?? "editor" },
  });

/** Runs the queued jobs, then the mail to `to` (the newest when there are several). */
async function mailTo(to: string, count = 1): Promise<ReceivedMail> {
  await t.jobs.drain();
  const mails = await smtp.waitFor(count, (m) => m.envelopeTo.includes(to));
  return mails[mails.length - 1] as ReceivedMail;
}
const linkIn = (mail: ReceivedMail) => linkToken(mail, "/invitation");

describe("inviting", () => {
  test("the answer is the same for an address with an account and one without; an account joins at once", async () => {
    const existing = await t.signUp("Existing");
    const stranger = unique("stranger");
    const [a, b] = [await invite(existing.email), await invite(stranger)];
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(Object.keys(a.body)).toEqual(Object.keys(b.body));
    expect(a.body).toEqual({ email: existing.email, role: "editor" });
    expect(b.body).toEqual({ email: stranger, role: "editor" });
    const headerNames = (h: Headers) =>
      [...h.keys()].filter((name) => !name.startsWith("ratelimit") && name !== "x-request-id").sort();
    expect(headerNames(a.headers)).toEqual(headerNames(b.headers));

    const members = await t.call("GET", `/api/projects/${projectId}/members`, { token: owner.token });
    expect(members.body.items.map((m: { email: string }) => m.email)).toContain(existing.email);
    const pending = await t.call("GET", `/api/projects/${projectId}/invitations`, { token: owner.token });
    expect(pending.status).toBe(200);
    expect(pending.body.items.map((i: { email: string }) => i.email)).toEqual([stranger]);
    expect(pending.body.items[0]).toMatchObject({ role: "editor", expired: false, projectId });
    expect(JSON.stringify(pending.body)).not.toMatch(/token|nonce|hash/i);
    // The existing account's project list has it: no mail, the in-app notification tells them.
    expect(
      (await t.call("GET", "/api/projects", { token: existing.token })).body.items.map(
        (p: { id: string }) => p.id,
      ),
    ).toContain(projectId);
    // Already a member: 409 (the owner sees the member list anyway).
    expect((await invite(existing.email)).status).toBe(409);
  });

  test("the mail: one, with a link that only its hash is stored for; no header injected by names", async () => {
    const to = unique("mailed");
    await invite(to);
    const mail = await mailTo(to);
    const token = linkIn(mail);
    expect(mail.subject).toContain("invited you to Launch X-Evil: 1 on TaskPlatform");
    expect(mail.headers.map(([name]) => name)).not.toContain("bcc");
    expect(mail.headers.map(([name]) => name)).not.toContain("x-evil");
    expect(mail.header("from")).toContain("via TaskPlatform");
    // At rest: the hash, never the token (not in the invitation, the job payload, the outbox or the logs).
    const [row] = await t.sql`SELECT token_hash FROM invitations WHERE email = ${to}`;
    expect(row?.tokenHash).toBe(tokenHash(token));
    const dump = JSON.stringify([
      await t.sql`SELECT * FROM invitations`,
      await t.sql`SELECT * FROM jobs`,
      await t.sql`SELECT * FROM mail_outbox`,
    ]);
    expect(dump).not.toContain(token);
    expect(t.logs.join("\n")).not.toContain(token);
    // Once per key: draining again sends nothing more.
    await t.jobs.drain();
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(1);
  });

  test("sign-up with the link: the address must be the invited one; joins with the role; the link is single-use", async () => {
    const to = unique("joiner");
    await invite(to, { role: "viewer" });
    const token = linkIn(await mailTo(to));

    const preview = await t.call("POST", "/api/auth/invitation", { body: { token } });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ email: to, projectName: "Launch\nX-Evil: 1", invitedByName: owner.name });
    expect(preview.headers.get("cache-control")).toBe("no-store");

    const register = (email: string) =>
      t.call("POST", "/api/auth/register", {
        body: { email, password: TEST_PASSWORD, name: "Joiner", invitationToken: token },
      });
    const other = await register(unique("someone-else"));
    expect(other.status).toBe(422);
    expect(other.body.error.details[0].path).toBe("email");
    // Nothing was created by the refused sign-up, and the link still works.
    const joined = await register(to);
    expect(joined.status).toBe(201);
    expect(joined.body.joinedProjectId).toBe(projectId);
    const members = await t.call("GET", `/api/projects/${projectId}/members`, { token: owner.token });
    expect(members.body.items).toContainEqual(expect.objectContaining({ email: to, role: "viewer" }));
    const pending = await t.call("GET", `/api/projects/${projectId}/invitations`, { token: owner.token });
    expect(pending.body.items.map((i: { email: string }) => i.email)).not.toContain(to);

    // Used: the preview and a second sign-up say the same thing.
    expect((await t.call("POST", "/api/auth/invitation", { body: { token } })).status).toBe(404);
    const again = await t.call("POST", "/api/auth/register", {
      body: { email: unique("again"), password: TEST_PASSWORD, name: "Again", invitationToken: token },
    });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("invitation_not_found");
  });

  test("re-send: a new link, the old one dead; revoke: the link dead, a second revoke 404", async () => {
    const to = unique("resent");
    await invite(to);
    const first = linkIn(await mailTo(to));
    const [pending] = (await t.call("GET", `/api/projects/${projectId}/invitations`, { token: owner.token }))
      .body.items as { id: string; email: string }[];
    const id = (
      await t.call("GET", `/api/projects/${projectId}/invitations`, { token: owner.token })
    ).body.items.find((i: { email: string }) => i.email === to).id;
    expect(pending).toBeDefined();
    const resent = await t.call("POST", `/api/projects/${projectId}/invitations/${id}/resend`, {
      token: owner.token,
    });
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ id, email: to, expired: false });
    const second = linkIn(await mailTo(to, 2));
    expect(second).not.toBe(first);
    expect((await t.call("POST", "/api/auth/invitation", { body: { token: first } })).status).toBe(404);
    expect((await t.call("POST", "/api/auth/invitation", { body: { token: second } })).status).toBe(200);
    // Inviting the same address again re-sends the same invitation (one pending per address).
    await invite(to);
    const third = linkIn(await mailTo(to, 3));
    expect((await t.call("POST", "/api/auth/invitation", { body: { token: second } })).status).toBe(404);
    const list = (await t.call("GET", `/api/projects/${projectId}/invitations`, { token: owner.token })).body
      .items;
    expect(list.filter((i: { email: string }) => i.email === to)).toHaveLength(1);

    const revoked = await t.call("DELETE", `/api/projects/${projectId}/invitations/${id}`, {
      token: owner.token,
    });
    expect(revoked.status).toBe(204);
    expect((await t.call("POST", "/api/auth/invitation", { body: { token: third } })).status).toBe(404);
    const twice = await t.call("DELETE", `/api/projects/${projectId}/invitations/${id}`, {
      token: owner.token,
    });
    expect(twice.status).toBe(404);
    expect(twice.body.error.code).toBe("not_found");
    expect(
      (await t.call("POST", `/api/projects/${projectId}/invitations/${id}/resend`, { token: owner.token }))
        .status,
    ).toBe(404);
  });

  test("revoked before the worker ran: no mail at all", async () => {
    const to = unique("never");
    await invite(to);
    const { id } = (
      await t.call("GET", `/api/projects/${projectId}/invitations`, { token: owner.token })
    ).body.items.find((i: { email: string }) => i.email === to);
    await t.call("DELETE", `/api/projects/${projectId}/invitations/${id}`, { token: owner.token });
    await t.jobs.drain();
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(0);
  });

  test("an expired link: 404 for preview and sign-up; listed as expired until re-sent", async () => {
    const to = unique("expired");
    await invite(to);
    const token = linkIn(await mailTo(to));
    await t.sql`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE email = ${to}`;
    expect((await t.call("POST", "/api/auth/invitation", { body: { token } })).status).toBe(404);
    const signUp = await t.call("POST", "/api/auth/register", {
      body: { email: to, password: TEST_PASSWORD, name: "Late", invitationToken: token },
    });
    expect(signUp.status).toBe(404);
    // No account was left behind by the refused sign-up.
    expect((await t.sql`SELECT 1 FROM users WHERE email = ${to}`).length).toBe(0);
    const item = (
      await t.call("GET", `/api/projects/${projectId}/invitations`, { token: owner.token })
    ).body.items.find((i: { email: string }) => i.email === to);
    expect(item.expired).toBe(true);
  });

  test("forged and malformed links; another project's invitation id; who may manage invitations", async () => {
    const forged = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const preview = await t.call("POST", "/api/auth/invitation", { body: { token: forged } });
    expect(preview.status).toBe(404);
    expect(preview.body.error.code).toBe("invitation_not_found");
    for (const token of ["", "short", `${forged}x`, "a".repeat(10_000), `${forged.slice(0, 42)}/`, 42]) {
      const bad = await t.call("POST", "/api/auth/invitation", { body: { token } });
      expect(bad.status).toBe(422);
      expect(bad.body.error.code).toBe("validation_failed");
    }
    const forgedSignUp = await t.call("POST", "/api/auth/register", {
      body: { email: unique("forger"), password: TEST_PASSWORD, name: "F", invitationToken: forged },
    });
    expect(forgedSignUp.status).toBe(404);

    // Another owner's project and its invitation: invisible from here.
    const other = await t.signUp("Other owner");
    const theirs = await t.createProject(other, "Theirs");
    await invite(unique("theirs"), { project: theirs, token: other.token });
    const [theirInvitation] = (
      await t.call("GET", `/api/projects/${theirs}/invitations`, { token: other.token })
    ).body.items;
    for (const [method, path] of [
      ["DELETE", `/api/projects/${projectId}/invitations/${theirInvitation.id}`],
      ["POST", `/api/projects/${projectId}/invitations/${theirInvitation.id}/resend`],
      ["GET", `/api/projects/${theirs}/invitations`],
      ["DELETE", `/api/projects/${theirs}/invitations/${theirInvitation.id}`],
      ["DELETE", `/api/projects/${projectId}/invitations/not-a-uuid`],
    ] as const) {
      const reply = await t.call(method, path, { token: owner.token });
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.body.error.code).toBe("not_found");
    }
    // An editor of the project may not invite or see invitations; anonymous callers get 401.
    const editor = await t.signUp("Editor");
    await invite(editor.email);
    expect((await invite(unique("by-editor"), { token: editor.token })).status).toBe(403);
    expect(
      (await t.call("GET", `/api/projects/${projectId}/invitations`, { token: editor.token })).status,
    ).toBe(403);
    expect((await t.call("GET", `/api/projects/${projectId}/invitations`)).status).toBe(401);
  });

  test("bad input: long, malformed and Unicode addresses, roles, extra fields: 422 JSON, nothing queued", async () => {
    const jobsBefore = (await t.sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'invitation.mail'`)[0]
      ?.n;
    for (const body of [
      { email: `${"a".repeat(250)}@example.test`, role: "editor" },
      { email: `${"a".repeat(100_000)}@example.test`, role: "editor" },
      { email: "two@@example.test", role: "editor" },
      { email: "x@example.test\r\nBcc: victim@example.test", role: "editor" },
      { email: "x@example.test", role: "admin" },
      { email: "x@example.test", role: "editor", token: "x" },
      { role: "editor" },
    ]) {
      const reply = await t.call("POST", `/api/projects/${projectId}/invitations`, {
        token: owner.token,
        body,
      });
      expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(reply.body.error.code).toBe("validation_failed");
    }
    // A Unicode address: refused like sign-up refuses it (no account can have one), or invited and
    // mailed as SMTPUTF8; never a 500.
    const unicode = await invite(`用户-${crypto.randomUUID().slice(0, 4)}@例子.测试`);
    expect([202, 422]).toContain(unicode.status);
    const jobsAfter = (await t.sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'invitation.mail'`)[0]?.n;
    expect(jobsAfter - jobsBefore).toBe(unicode.status === 202 ? 1 : 0);
  });

  test(`at most ${INVITATIONS_PER_HOUR} an hour per owner: then 429 JSON for every address alike`, async () => {
    const prober = await t.signUp("Prober");
    const known = await t.signUp("Known");
    const probe = await t.createProject(prober, "Probe");
    const ip = "192.0.2.77";
    for (let i = 0; i < INVITATIONS_PER_HOUR; i++) {
      const reply = await invite(unique(`probe${i}`), { project: probe, token: prober.token, ip });
      expect(reply.status).toBe(202);
    }
    const refusedUnknown = await invite(unique("one-more"), { project: probe, token: prober.token, ip });
    const refusedKnown = await invite(known.email, { project: probe, token: prober.token, ip });
    for (const refused of [refusedUnknown, refusedKnown]) {
      expect(refused.status).toBe(429);
      expect(refused.headers.get("content-type")).toContain("application/json");
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(refused.body.error.code).toBe("too_many_invitations");
    }
    expect(refusedKnown.body).toEqual(refusedUnknown.body);
    // Per owner: another client address does not help.
    expect(
      (await invite(unique("elsewhere"), { project: probe, token: prober.token, ip: "192.0.2.78" })).status,
    ).toBe(429);
  });

  test("export: pending invitations are not exported (nor any link)", async () => {
    const to = unique("not-exported");
    await invite(to);
    const exported = await t.call("GET", "/api/export", { token: owner.token });
    expect(exported.status).toBe(200);
    expect(exported.text).not.toContain(to);
    expect(exported.text).not.toMatch(/invitation/i);
  });
});
