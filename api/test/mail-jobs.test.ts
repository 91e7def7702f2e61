// Mail and background jobs (migration 0009) against real PostgreSQL and a real SMTP server on loopback:
// enqueue in the caller's transaction, once per key, retries with backoff, permanent refusals, header
// injection, leases, due-date reminders and the preferences that stop them. The multi-process version
// (two replicas, SIGKILL mid-send) is api/test/mail.suite.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { claimJob, enqueueJob } from "../src/jobs/repository.ts";
import { deliverMail, enqueueMail } from "../src/mail/send.ts";
import {
  createTestApp,
  freshRuntime,
  type TestApp,
  type TestRuntime,
  type TestUser,
} from "./support/harness.ts";
import { startTestSmtp, type TestSmtp } from "./support/smtp.ts";

let smtp: TestSmtp;
let t: TestApp;
let runtime: TestRuntime;

const HOUR = 3_600_000;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const env = { SMTP_URL: smtp.url, PUBLIC_URL: "https://tasks.example.test", JOBS_RETRY_BASE_MS: "50" };
  t = await createTestApp(env);
  runtime = await freshRuntime(env);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await runtime?.close();
  await smtp?.close();
});

const mailTo = (to: string, overrides: Record<string, unknown> = {}) => ({
  kind: "test",
  to,
  subject: "Hello",
  text: "First paragraph.\n\nSecond paragraph.",
  ...overrides,
});

async function metric(name: string, labels = ""): Promise<number> {
  const text = await runtime.metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("enqueueMail", () => {
  test("is sent once after the commit; a rollback sends nothing; the same key again adds nothing", async () => {
    const to = `commit-${crypto.randomUUID().slice(0, 8)}@example.test`;
    await runtime.sql
      .begin(async (tx) => {
        await enqueueMail(tx, `rolled-back:${to}`, mailTo(to));
        throw new Error("roll back");
      })
      .catch(() => {});
    const added = await runtime.sql.begin((tx) => enqueueMail(tx, `welcome:${to}`, mailTo(to)));
    const again = await runtime.sql.begin((tx) => enqueueMail(tx, `welcome:${to}`, mailTo(to)));
    expect([added, again]).toEqual([true, false]);
    await runtime.jobs.drain();
    const [mail] = await smtp.waitFor(1, (m) => m.envelopeTo.includes(to));
    await runtime.jobs.drain();
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(1);
    // Plain text and HTML, the preferences link in both, List-Unsubscribe, From = MAIL_FROM.
    expect(mail?.header("content-type")).toContain("multipart/alternative");
    expect(mail?.raw).toContain("https://tasks.example.test/settings#notifications");
    expect(mail?.raw).toContain("<p>First paragraph.</p>");
    expect(mail?.header("list-unsubscribe")).toBe("<https://tasks.example.test/settings#notifications>");
    expect(mail?.header("from")).toBe("TaskPlatform <taskplatform@localhost>");
    expect(mail?.messageId).toMatch(/^<[0-9a-f]{40}@localhost>$/);
    expect(await metric("mail_sent_total", 'kind="test"')).toBeGreaterThanOrEqual(1);
  });

  test("two attempts at the same key at the same moment send one mail", async () => {
    const to = `race-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const deps = { ...runtime, mailer: runtime.mailer };
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => deliverMail(deps, `race:${to}`, mailTo(to))),
    );
    const sent = results.filter((r) => r.status === "fulfilled" && r.value === "sent");
    expect(sent).toHaveLength(1);
    // The others found it sending (retry later) or sent.
    for (const r of results)
      if (r.status === "rejected") expect(String(r.reason)).toContain("another attempt");
    await smtp.waitFor(1, (m) => m.envelopeTo.includes(to));
    expect(await deliverMail(deps, `race:${to}`, mailTo(to))).toBe("already sent");
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(1);
  });

  test("a temporary refusal is retried with backoff and counted; then sent once", async () => {
    const to = `retry-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const failedBefore = await metric("mail_failed_total", 'kind="test",reason="temporary"');
    smtp.failNext(2, 451);
    await runtime.sql.begin((tx) => enqueueMail(tx, `retry:${to}`, mailTo(to)));
    await runtime.jobs.drain();
    const [job] =
      await runtime.sql`SELECT attempts, last_error, run_at > now() AS later FROM jobs WHERE key = ${`mail:retry:${to}`}`;
    expect(job?.attempts).toBe(1);
    expect(job?.later).toBe(true);
    expect(job?.lastError).toContain("SMTP send failed");
    // Wait for the backoff (50 ms, then 100 ms) by polling the queue, not by sleeping a guess.
    const deadline = Date.now() + 10_000;
    while (smtp.received.filter((m) => m.envelopeTo.includes(to)).length === 0 && Date.now() < deadline)
      await runtime.jobs.drain();
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(1);
    expect(await metric("mail_failed_total", 'kind="test",reason="temporary"')).toBe(failedBefore + 2);
    const [done] = await runtime.sql`SELECT attempts, done_at FROM jobs WHERE key = ${`mail:retry:${to}`}`;
    expect(done?.attempts).toBe(3);
    expect(done?.doneAt).toBeInstanceOf(Date);
  });

  test("a permanent refusal (5xx) is given up at once, logged without the body", async () => {
    const to = `refused-${crypto.randomUUID().slice(0, 8)}@example.test`;
    smtp.failNext(1, 550);
    await t.sql.begin((tx) => enqueueMail(tx, `refused:${to}`, mailTo(to, { text: "secret-token-abc123" })));
    await t.jobs.drain();
    const [job] =
      await t.sql`SELECT attempts, failed_at, last_error FROM jobs WHERE key = ${`mail:refused:${to}`}`;
    expect(job?.attempts).toBe(1);
    expect(job?.failedAt).toBeInstanceOf(Date);
    expect(job?.lastError).toContain("550");
    const text = await t.metrics.registry.metrics();
    expect(text).toContain('mail_failed_total{kind="test",reason="permanent"} 1');
    const lines = t.logs.filter((line) => line.includes("mail not sent") || line.includes("job failed"));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(t.logs.join("\n")).not.toContain("secret-token-abc123");
    expect(t.logs.join("\n")).not.toContain(to);
  });

  test("header injection through names and subjects: never a header injected", async () => {
    const to = `inject-${crypto.randomUUID().slice(0, 8)}@example.test`;
    await runtime.sql.begin((tx) =>
      enqueueMail(tx, `inject:${to}`, {
        kind: "test",
        to,
        toName: "Mallory\r\nBcc: victim@example.test",
        fromName: "Eve\nX-Injected: yes",
        subject: "Hi\r\nBcc: victim@example.test\r\n\r\nbody",
        text: "Text\r\nBcc: not-a-header@example.test",
      }),
    );
    await runtime.jobs.drain();
    const [mail] = await smtp.waitFor(1, (m) => m.envelopeTo.includes(to));
    const names = mail?.headers.map(([name]) => name) ?? [];
    expect(names).not.toContain("bcc");
    expect(names).not.toContain("x-injected");
    expect(mail?.envelopeTo).toEqual([to]);
    expect(mail?.subject).toBe("Hi Bcc: victim@example.test body");
    expect(mail?.header("from")).toContain("Eve X-Injected: yes");
  });

  test("a very long address and a malformed one fail for good; a Unicode one never crashes the worker", async () => {
    const long = `${"a".repeat(250)}@example.test`;
    const unicode = `用户-${crypto.randomUUID().slice(0, 4)}@例子.测试`;
    await runtime.sql.begin(async (tx) => {
      await enqueueMail(tx, `long:${long}`, mailTo(long));
      await enqueueMail(tx, `bad:${unicode}`, mailTo("a@b@c\r\nRCPT TO:<x@y>"));
      await enqueueMail(tx, `unicode:${unicode}`, mailTo(unicode));
    });
    await runtime.jobs.drain();
    const rows = await runtime.sql<{ key: string; done: boolean; failed: boolean }[]>`
      SELECT key, done_at IS NOT NULL AS done, failed_at IS NOT NULL AS failed FROM jobs
      WHERE key IN (${`mail:long:${long}`}, ${`mail:bad:${unicode}`}, ${`mail:unicode:${unicode}`})`;
    const byKey = Object.fromEntries(rows.map((r) => [r.key.split(":")[1], r]));
    expect(byKey.long?.failed).toBe(true);
    expect(byKey.bad?.failed).toBe(true);
    // The test server speaks SMTPUTF8: the Unicode address is delivered as it is.
    expect(byKey.unicode?.done).toBe(true);
    await smtp.waitFor(1, (m) => m.envelopeTo.includes(unicode));
  });
});

describe("the outbox decides what a second attempt does", () => {
  test("'sending' within its hold: deferred, nothing sent; past its hold (a replica died): sent again with the same Message-ID", async () => {
    const to = `window-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const key = `window:${to}`;
    await runtime.sql`
      INSERT INTO mail_outbox (key, kind, message_id, status, sending_until, attempts)
      VALUES (${key}, 'test', 'x', 'sending', now() + interval '1 minute', 1)`;
    await expect(deliverMail(runtime, key, mailTo(to))).rejects.toThrow("another attempt");
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(0);
    await runtime.sql`UPDATE mail_outbox SET sending_until = now() - interval '1 second' WHERE key = ${key}`;
    expect(await deliverMail(runtime, key, mailTo(to))).toBe("sent");
    const first = smtp.received.find((m) => m.envelopeTo.includes(to));
    // The resend a dead replica's window can cause carries the Message-ID every attempt of this key has.
    await runtime.sql`UPDATE mail_outbox SET status = 'sending', sending_until = now() - interval '1 second' WHERE key = ${key}`;
    expect(await deliverMail(runtime, key, mailTo(to))).toBe("sent");
    const copies = await smtp.waitFor(2, (m) => m.envelopeTo.includes(to));
    expect(new Set(copies.map((m) => m.messageId)).size).toBe(1);
    expect(first?.messageId).toBe(copies[1]?.messageId ?? "");
  });
});

describe("jobs", () => {
  test("replicas claim different jobs (SKIP LOCKED); a lease that passed makes a job claimable again", async () => {
    const prefix = `lease-${crypto.randomUUID().slice(0, 8)}`;
    await runtime.sql.begin(async (tx) => {
      for (let i = 0; i < 2; i += 1) await enqueueJob(tx, { kind: "nothing", key: `${prefix}:${i}` });
    });
    // Claim from the busy queue until both of ours are held, by two "replicas" at once.
    const [a, b] = await Promise.all([
      runtime.sql.begin((tx) => claimJob(tx, "replica-a", 60)),
      runtime.sql.begin((tx) => claimJob(tx, "replica-b", 60)),
    ]);
    expect(a?.id).toBeDefined();
    expect(a?.id).not.toBe(b?.id);
    // Replica A "dies": nobody can claim its job until the lease passes.
    await runtime.sql`UPDATE jobs SET locked_until = now() + interval '1 hour' WHERE key LIKE ${`${prefix}:%`}`;
    const none = await claimJob(runtime.sql, "replica-c", 60);
    expect(none?.key.startsWith(prefix) ?? false).toBe(false);
    await runtime.sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE key = ${`${prefix}:0`}`;
    const again = await claimJob(runtime.sql, "replica-c", 60);
    expect(again?.key).toBe(`${prefix}:0`);
    expect(again?.attempts).toBe(2);
    await runtime.sql`UPDATE jobs SET done_at = now() WHERE key LIKE ${`${prefix}:%`}`;
  });

  test("a job kind without a handler fails for good instead of looping", async () => {
    const key = `unknown-${crypto.randomUUID().slice(0, 8)}`;
    await enqueueJob(runtime.sql, { kind: "no.such.kind", key });
    await runtime.jobs.drain();
    const [job] = await runtime.sql`SELECT failed_at, last_error FROM jobs WHERE key = ${key}`;
    expect(job?.failedAt).toBeInstanceOf(Date);
    expect(job?.lastError).toContain("no handler");
  });

  test("the gauges: queued, running, failed and the lag", async () => {
    await runtime.jobs.tick();
    const text = await runtime.metrics.registry.metrics();
    expect(text).toMatch(/^jobs\{state="failed"\} [1-9]/m);
    expect(text).toMatch(/^jobs\{state="queued"\} \d+/m);
    expect(text).toMatch(/^jobs_lag_seconds \d/m);
    expect(text).toMatch(/^scheduler_last_run_timestamp_seconds \d/m);
  });
});

describe("due-date reminders", () => {
  let owner: TestUser;
  let projectId: string;

  beforeAll(async () => {
    owner = await t.signUp("Reminder\r\nBcc: x@example.test Owner");
    const project = await t.call("POST", "/api/projects", { token: owner.token, body: { name: "Due" } });
    projectId = project.body.id;
  });

  async function task(title: string, dueInMs: number, assignee: string | null = owner.id) {
    const reply = await t.call("POST", "/api/tasks", {
      token: owner.token,
      body: { projectId, title, dueAt: new Date(Date.now() + dueInMs).toISOString(), assigneeId: assignee },
    });
    expect(reply.status).toBe(201);
    return reply.body as { id: string; version: number };
  }
  const mailsFor = (taskTitle: string) => smtp.received.filter((m) => m.raw.includes(taskTitle));

  test("due within 24 h and overdue: one mail each, however often and however many replicas scan", async () => {
    const soon = `soon-${crypto.randomUUID().slice(0, 8)}`;
    const late = `late-${crypto.randomUUID().slice(0, 8)}`;
    const far = `far-${crypto.randomUUID().slice(0, 8)}`;
    const nobody = `nobody-${crypto.randomUUID().slice(0, 8)}`;
    await task(soon, 2 * HOUR);
    await task(late, -HOUR);
    await task(far, 48 * HOUR);
    await task(nobody, HOUR, null);
    // Two schedulers at the same moment, then again.
    await Promise.all([t.jobs.tick(), t.jobs.tick(), t.jobs.tick()]);
    await t.jobs.tick();
    await Promise.all([t.jobs.drain(), t.jobs.drain()]);
    const [soonMail] = await smtp.waitFor(1, (m) => m.raw.includes(soon));
    const [lateMail] = await smtp.waitFor(1, (m) => m.raw.includes(late));
    await t.jobs.tick();
    await t.jobs.drain();
    expect(mailsFor(soon)).toHaveLength(1);
    expect(mailsFor(late)).toHaveLength(1);
    expect(mailsFor(far)).toHaveLength(0);
    expect(mailsFor(nobody)).toHaveLength(0);
    // The same reminders reach the assignee's inbox, once each.
    const inbox = await t.sql<{ kind: string; title: string }[]>`
      SELECT n.kind, t.title FROM notifications n JOIN tasks t ON t.id = n.task_id
      WHERE n.user_id = ${owner.id} AND t.title IN (${soon}, ${late}, ${far}, ${nobody}) ORDER BY n.kind`;
    expect([...inbox]).toEqual([
      { kind: "due_soon", title: soon },
      { kind: "overdue", title: late },
    ]);
    expect(soonMail?.subject).toBe(`Due within 24 hours: ${soon}`);
    expect(lateMail?.subject).toBe(`Overdue: ${late}`);
    expect(soonMail?.envelopeTo).toEqual([owner.email]);
    // The user's name had CR/LF in it: no header came of it.
    expect(soonMail?.headers.map(([name]) => name)).not.toContain("bcc");
    expect(soonMail?.raw).toContain(`/projects/${projectId}`);
  });

  test("nothing for tasks completed or archived before the send; a changed due date is a new reminder", async () => {
    const done = `done-${crypto.randomUUID().slice(0, 8)}`;
    const archived = `archived-${crypto.randomUUID().slice(0, 8)}`;
    const moved = `moved-${crypto.randomUUID().slice(0, 8)}`;
    const a = await task(done, HOUR);
    const b = await task(archived, HOUR);
    const c = await task(moved, HOUR);
    await t.jobs.tick(); // queued…
    // …then, before any worker ran: completed, archived, rescheduled.
    expect(
      (await t.call("PATCH", `/api/tasks/${a.id}`, { token: owner.token, body: { status: "done" } })).status,
    ).toBe(200);
    expect((await t.call("POST", `/api/tasks/${b.id}/archive`, { token: owner.token })).status).toBe(200);
    const newDue = new Date(Date.now() + 3 * HOUR).toISOString();
    expect(
      (await t.call("PATCH", `/api/tasks/${c.id}`, { token: owner.token, body: { dueAt: newDue } })).status,
    ).toBe(200);
    await t.jobs.drain();
    expect(mailsFor(done)).toHaveLength(0);
    expect(mailsFor(archived)).toHaveLength(0);
    expect(mailsFor(moved)).toHaveLength(0);
    await t.jobs.tick();
    await t.jobs.drain();
    const [mail] = await smtp.waitFor(1, (m) => m.raw.includes(moved));
    expect(mail?.subject).toContain(moved);
    expect(mailsFor(done)).toHaveLength(0);
    expect(mailsFor(archived)).toHaveLength(0);
  });

  test("preferences: GET/PUT /api/me/preferences, and a reminder turned off is not sent", async () => {
    const other = await t.signUp("Quiet");
    const defaults = await t.call("GET", "/api/me/preferences", { token: other.token });
    expect(defaults.body).toMatchObject({ dueSoonReminders: true, overdueReminders: true, timeZone: "UTC" });
    const changed = await t.call("PUT", "/api/me/preferences", {
      token: other.token,
      body: { dueSoonReminders: false },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ dueSoonReminders: false, overdueReminders: true, timeZone: "UTC" });
    expect((await t.call("GET", "/api/me/preferences", { token: other.token })).body).toEqual(changed.body);
    expect((await t.call("PUT", "/api/me/preferences", { token: other.token, body: { x: 1 } })).status).toBe(
      422,
    );
    expect(
      (await t.call("PUT", "/api/me/preferences", { token: other.token, body: { overdueReminders: "no" } }))
        .status,
    ).toBe(422);
    expect((await t.call("GET", "/api/me/preferences")).status).toBe(401);

    const project = await t.call("POST", "/api/projects", { token: other.token, body: { name: "Quiet" } });
    const quiet = `quiet-${crypto.randomUUID().slice(0, 8)}`;
    const loud = `loud-${crypto.randomUUID().slice(0, 8)}`;
    for (const [title, due] of [
      [quiet, HOUR],
      [loud, -HOUR],
    ] as const) {
      const reply = await t.call("POST", "/api/tasks", {
        token: other.token,
        body: {
          projectId: project.body.id,
          title,
          dueAt: new Date(Date.now() + due).toISOString(),
          assigneeId: other.id,
        },
      });
      expect(reply.status).toBe(201);
    }
    await t.jobs.tick();
    await t.jobs.drain();
    await smtp.waitFor(1, (m) => m.raw.includes(loud));
    expect(mailsFor(quiet)).toHaveLength(0);
  });
});
