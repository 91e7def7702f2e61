// Per-kind mail preferences and the daily digest (migration 0012) against real PostgreSQL and a real
// SMTP server on loopback: PUT/GET /api/me/preferences and its bad input, the immediate mail of each
// kind set to "immediately" (once), none for "digest" and "off" or with mail turned off, and the digest:
// once per user and day, only what is unread since the previous one, nothing when there is nothing.
// The two-replica version of the digest is in api/test/mail.suite.ts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { migrations } from "../migrations/index.ts";
import { migrate } from "../src/db/migrate.ts";
import { findPreferences } from "../src/preferences/repository.ts";
import { DEFAULT_PREFERENCES } from "../src/preferences/schemas.ts";
import { createTestApp, freshRuntime, type TestApp, type TestUser } from "./support/harness.ts";
import { decodedBody } from "./support/mail-links.ts";
import { startTestSmtp, type TestSmtp } from "./support/smtp.ts";

setDefaultTimeout(30_000);

const PUBLIC_URL = "https://tasks.example.test";
let smtp: TestSmtp;
let t: TestApp;
let ada: TestUser;
let bob: TestUser;
let projectId: string;

beforeAll(async () => {
  smtp = await startTestSmtp();
  // Digests from midnight UTC on: the scan queues today's digest whenever the test runs.
  t = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL, JOBS_RETRY_BASE_MS: "50", DIGEST_HOUR_UTC: "0" });
  [ada, bob] = await Promise.all([t.signUp("Ada"), t.signUp("Bob")]);
  projectId = await t.createProject(ada, "Mail", [[bob, "editor"]]);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const put = (user: TestUser, body: unknown) =>
  t.call("PUT", "/api/me/preferences", { token: user.token, body });
const mailsTo = (user: TestUser, filter: (raw: string) => boolean = () => true) =>
  smtp.received.filter((m) => m.envelopeTo.includes(user.email) && filter(decodedBody(m.raw)));
const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** Ada creates a task assigned to `assignee`: an "assigned" notification for them. */
async function assign(assignee: TestUser, title = unique("task")) {
  const reply = await t.call("POST", "/api/tasks", {
    token: ada.token,
    body: { projectId, title, assigneeId: assignee.id },
  });
  expect(reply.status).toBe(201);
  return { id: reply.body.id as string, title };
}

/** Runs every job due now, twice: a second run must add nothing. */
async function runJobs() {
  await t.jobs.drain();
  await Promise.all([t.jobs.drain(), t.jobs.drain()]);
}

describe("PUT/GET /api/me/preferences", () => {
  test("defaults; a partial change keeps the rest; the mail settings survive a reminder change", async () => {
    const user = await t.signUp("Prefs");
    expect((await t.call("GET", "/api/me/preferences", { token: user.token })).body).toEqual(
      DEFAULT_PREFERENCES,
    );
    const changed = await put(user, { mailDelivery: { commented: "off", assigned: "digest" } });
    expect(changed.status).toBe(200);
    expect(changed.body.mailDelivery).toEqual({
      ...DEFAULT_PREFERENCES.mailDelivery,
      commented: "off",
      assigned: "digest",
    });
    const again = await put(user, { mailDelivery: { assigned: "immediately" }, mailEnabled: false });
    expect(again.body.mailDelivery.commented).toBe("off");
    expect(again.body.mailDelivery.assigned).toBe("immediately");
    expect(again.body.mailEnabled).toBe(false);
    await put(user, { overdueReminders: false });
    const read = await t.call("GET", "/api/me/preferences", { token: user.token });
    expect(read.body).toEqual({ ...again.body, overdueReminders: false });
  });

  test("bad input: 4xx JSON, nothing stored", async () => {
    const user = await t.signUp("Hostile");
    const bad: unknown[] = [
      { mailDelivery: { assigned: "weekly" } },
      { mailDelivery: { nosuchkind: "off" } },
      { mailDelivery: { assigned: "off\u0000" } },
      { mailDelivery: ["off"] },
      { mailDelivery: "off" },
      { mailDelivery: { assigned: { $ne: "off" } } },
      { mailDelivery: { "assigned'; DROP TABLE notification_preferences; --": "off" } },
      { mailEnabled: "false" },
      { mailEnabled: null },
      { mailDelivery: { __proto__: { assigned: "off" } }, extra: 1 },
      { mailDelivery: { assigned: "x".repeat(100_000) } },
      JSON.parse(`${'{"mailDelivery":'.repeat(200)}{}${"}".repeat(200)}`),
      null,
      [],
    ];
    for (const body of bad) {
      const reply = await put(user, body);
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(typeof reply.body.error.code).toBe("string");
    }
    const huge = await t.call("PUT", "/api/me/preferences", {
      token: user.token,
      rawBody: JSON.stringify({ mailDelivery: { assigned: "off" }, pad: "x".repeat(2_000_000) }),
      headers: { "content-type": "application/json" },
    });
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect(huge.status).toBeLessThan(500);
    expect((await t.call("GET", "/api/me/preferences", { token: user.token })).body).toEqual(
      DEFAULT_PREFERENCES,
    );
    expect((await t.call("PUT", "/api/me/preferences", { body: { mailEnabled: false } })).status).toBe(401);
  });
});

describe("immediate mails", () => {
  test("an assignment mails the assignee once, with links to the task and the preferences", async () => {
    const task = await assign(bob);
    await runJobs();
    const [mail] = await smtp.waitFor(
      1,
      (m) => m.envelopeTo.includes(bob.email) && m.subject.includes(task.title),
    );
    await runJobs();
    expect(mailsTo(bob, (raw) => raw.includes(task.title))).toHaveLength(1);
    const body = decodedBody(mail?.raw ?? "");
    expect(body).toContain(`Ada assigned "${task.title}" in Mail to you.`);
    expect(body).toContain(`${PUBLIC_URL}/projects/${projectId}?task=${task.id}`);
    expect(body).toContain(`${PUBLIC_URL}/settings#notifications`);
    expect(mail?.header("list-unsubscribe")).toBe(`<${PUBLIC_URL}/settings#notifications>`);
    expect(mail?.header("from")).toContain("Ada via TaskPlatform");
    // The actor never hears of their own action.
    expect(mailsTo(ada, (raw) => raw.includes(task.title))).toHaveLength(0);
  });

  test("a mention mails at once; a comment on a followed task waits for the digest (the default)", async () => {
    const task = await assign(bob);
    const mention = unique("mention");
    const plain = unique("plain");
    for (const text of [`@[Bob](user:${bob.id}) ${mention}`, plain]) {
      const reply = await t.call("POST", `/api/tasks/${task.id}/comments`, {
        token: ada.token,
        body: { body: text },
      });
      expect(reply.status).toBe(201);
    }
    await runJobs();
    const [mail] = await smtp.waitFor(
      1,
      (m) => m.envelopeTo.includes(bob.email) && decodedBody(m.raw).includes(mention),
    );
    expect(decodedBody(mail?.raw ?? "")).toContain(`Ada mentioned you on "${task.title}" in Mail.`);
    expect(mailsTo(bob, (raw) => raw.includes(plain))).toHaveLength(0);
  });

  test('"off", "digest" and mail turned off: no immediate mail, the inbox entry is still written', async () => {
    const carl = await t.signUp("Carl");
    await t.call("POST", `/api/projects/${projectId}/invitations`, {
      token: ada.token,
      body: { email: carl.email, role: "editor" },
    });
    expect((await put(carl, { mailDelivery: { assigned: "off" } })).status).toBe(200);
    const off = await assign(carl);
    expect((await put(carl, { mailDelivery: { assigned: "digest" } })).status).toBe(200);
    const digest = await assign(carl);
    expect((await put(carl, { mailDelivery: { assigned: "immediately" }, mailEnabled: false })).status).toBe(
      200,
    );
    const disabled = await assign(carl);
    expect((await put(carl, { mailEnabled: true })).status).toBe(200);
    const on = await assign(carl);
    await runJobs();
    await smtp.waitFor(1, (m) => m.envelopeTo.includes(carl.email) && m.subject.includes(on.title));
    for (const task of [off, digest, disabled])
      expect(mailsTo(carl, (raw) => raw.includes(task.title))).toHaveLength(0);
    const inbox = await t.call("GET", "/api/notifications?limit=100", { token: carl.token });
    const titles = inbox.body.items.map((item: { taskTitle: string }) => item.taskTitle);
    for (const task of [off, digest, disabled, on]) expect(titles).toContain(task.title);
  });

  test("a mail queued while the kind was on is not sent once the recipient turned it off", async () => {
    const dora = await t.signUp("Dora");
    await t.call("POST", `/api/projects/${projectId}/invitations`, {
      token: ada.token,
      body: { email: dora.email, role: "editor" },
    });
    const task = await assign(dora);
    await put(dora, { mailDelivery: { assigned: "off" } });
    await runJobs();
    // Her "added to the project" mail went out (immediately by default); the assignment did not.
    await smtp.waitFor(
      1,
      (m) => m.envelopeTo.includes(dora.email) && m.subject.includes("added you to Mail"),
    );
    expect(mailsTo(dora, (raw) => raw.includes(task.title))).toHaveLength(0);
  });

  test("a due-date reminder set to the digest is in the inbox but not mailed on its own", async () => {
    const eve = await t.signUp("Eve");
    const own = await t.createProject(eve, "Eve's");
    await put(eve, { mailDelivery: { due_soon: "digest" } });
    const title = unique("due");
    const reply = await t.call("POST", "/api/tasks", {
      token: eve.token,
      body: {
        projectId: own,
        title,
        assigneeId: eve.id,
        dueAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(reply.status).toBe(201);
    await t.jobs.tick();
    await runJobs();
    const [row] =
      await t.sql`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${eve.id} AND kind = 'due_soon'`;
    expect(row?.n).toBe(1);
    // The next scan queues her digest, which lists the reminder: the only mail she got.
    await t.jobs.tick();
    await runJobs();
    const [digest] = await smtp.waitFor(1, (m) => m.envelopeTo.includes(eve.email));
    expect(digest?.subject).toBe("TaskPlatform: 1 unread notification");
    expect(decodedBody(digest?.raw ?? "")).toContain(`"${title}" in Eve's is due on`);
    expect(mailsTo(eve)).toHaveLength(1);
  });
});

describe("daily digest", () => {
  let fay: TestUser;
  beforeAll(async () => {
    fay = await t.signUp("Fay");
    await t.call("POST", `/api/projects/${projectId}/invitations`, {
      token: ada.token,
      body: { email: fay.email, role: "editor" },
    });
    // Everything to the digest, and only the digest.
    await put(fay, {
      mailDelivery: {
        assigned: "digest",
        mentioned: "digest",
        commented: "digest",
        added_to_project: "digest",
      },
    });
  });

  const digestsTo = (user: TestUser) => mailsTo(user).filter((m) => m.subject.startsWith("TaskPlatform: "));
  /** Today's digest becomes yesterday's (its record, job and sent-mail record): the next scan is "tomorrow". */
  const nextDay = async () => {
    const today =
      (
        await t.sql<{ key: string }[]>`
      SELECT ${`digest:${fay.id}:`} || (now() AT TIME ZONE 'UTC')::date AS key`
      )[0]?.key ?? "";
    const moved = `${today}:moved-${crypto.randomUUID().slice(0, 8)}`;
    await t.sql`
      UPDATE mail_digests SET day = (SELECT min(day) - 1 FROM mail_digests WHERE user_id = ${fay.id})
      WHERE user_id = ${fay.id} AND day = (now() AT TIME ZONE 'UTC')::date`;
    await t.sql`UPDATE jobs SET key = ${moved} WHERE key = ${today}`;
    await t.sql`UPDATE mail_outbox SET key = ${moved} WHERE key = ${today}`;
  };

  test("once a day, however many schedulers scan; only unread notifications since the last one", async () => {
    const first = [await assign(fay), await assign(fay)];
    const readLater = await assign(fay);
    // Schedulers at the same moment, and again: one job, one mail.
    await Promise.all([t.jobs.tick(), t.jobs.tick(), t.jobs.tick()]);
    await runJobs();
    await t.jobs.tick();
    await runJobs();
    const [digest] = await smtp.waitFor(
      1,
      (m) => m.envelopeTo.includes(fay.email) && m.subject.startsWith("TaskPlatform: "),
    );
    const body = decodedBody(digest?.raw ?? "");
    for (const task of [...first, readLater]) {
      expect(body).toContain(`Ada assigned "${task.title}" in Mail to you`);
      expect(body).toContain(`${PUBLIC_URL}/projects/${projectId}?task=${task.id}`);
    }
    expect(body).toContain(`${PUBLIC_URL}/settings#notifications`);
    expect(body).toContain(`${PUBLIC_URL}/notifications`);
    expect(digestsTo(fay)).toHaveLength(1);
    // Being added was queued as an immediate mail, but she chose the digest before it ran: what she
    // wants when the mail goes out decides, so it is in the digest and was never mailed alone.
    expect(body).toContain("Ada added you to Mail as editor");
    expect(mailsTo(fay)).toHaveLength(1);

    // The same day: new notifications wait for tomorrow.
    const tomorrow = await assign(fay);
    const read = await assign(fay);
    await t.jobs.tick();
    await runJobs();
    expect(digestsTo(fay)).toHaveLength(1);

    // Tomorrow: only what came since, and only what is still unread.
    const [readNotification] = await t.sql<{ id: string }[]>`
      SELECT n.id::text FROM notifications n JOIN tasks ta ON ta.id = n.task_id
      WHERE n.user_id = ${fay.id} AND ta.title = ${read.title}`;
    expect(
      (await t.call("POST", `/api/notifications/${readNotification?.id}/read`, { token: fay.token })).status,
    ).toBe(200);
    await nextDay();
    await Promise.all([t.jobs.tick(), t.jobs.tick()]);
    await runJobs();
    const digests = await smtp.waitFor(
      2,
      (m) => m.envelopeTo.includes(fay.email) && m.subject.startsWith("TaskPlatform: "),
    );
    const second = decodedBody(digests[1]?.raw ?? "");
    expect(digests[1]?.subject).toBe("TaskPlatform: 1 unread notification");
    expect(second).toContain(tomorrow.title);
    expect(second).not.toContain(read.title);
    for (const task of first) expect(second).not.toContain(task.title);
  });

  test("nothing to tell, nothing sent: everything read, or no digest kind", async () => {
    await nextDay();
    await assign(fay);
    await t.call("POST", "/api/notifications/read-all", { token: fay.token });
    const before = digestsTo(fay).length;
    await t.jobs.tick();
    await runJobs();
    expect(digestsTo(fay)).toHaveLength(before);
    const [jobs] =
      await t.sql`SELECT count(*)::int AS n FROM jobs WHERE key LIKE ${`digest:${fay.id}:%`} AND key NOT LIKE '%:moved-%'`;
    // Nothing unread: not even a job.
    expect(jobs?.n).toBe(0);
    // Ada has only immediate kinds: never a digest.
    expect(digestsTo(ada)).toHaveLength(0);
  });
});

describe("migration 0012 is expand-only", () => {
  test("the previous version's preference statements keep working; its rows read as the defaults", async () => {
    const before = migrations.findIndex((m) => m.version === "0012_mail_preferences_digests");
    const data = await freshRuntime({}, undefined, migrations.slice(0, before));
    try {
      const { sql } = data;
      const [user] = await sql<{ id: string }[]>`
        INSERT INTO users (email, name, password_hash) VALUES ('prev@example.test', 'Prev', 'x') RETURNING id`;
      const userId = user?.id ?? "";
      expect(await migrate(sql)).toEqual(migrations.slice(before).map((m) => m.version));
      // What the previous version runs: its upsert of the two reminder switches, and its read.
      await sql`
        INSERT INTO notification_preferences (user_id, due_soon_reminders, overdue_reminders)
        VALUES (${userId}, coalesce(${false}::boolean, true), coalesce(${null}::boolean, true))
        ON CONFLICT (user_id) DO UPDATE SET
          due_soon_reminders = coalesce(${false}::boolean, notification_preferences.due_soon_reminders),
          overdue_reminders = coalesce(${null}::boolean, notification_preferences.overdue_reminders),
          updated_at = now()
        RETURNING due_soon_reminders, overdue_reminders`;
      const [old] =
        await sql`SELECT due_soon_reminders, overdue_reminders FROM notification_preferences WHERE user_id = ${userId}`;
      expect({ ...old }).toEqual({ dueSoonReminders: false, overdueReminders: true });
      expect(await findPreferences(sql, userId)).toEqual({ ...DEFAULT_PREFERENCES, dueSoonReminders: false });
      // An account removed takes its digest records with it.
      await sql`INSERT INTO mail_digests (user_id, day, after_id, through_id) VALUES (${userId}, '2026-01-01', 0, 5)`;
      await sql`DELETE FROM users WHERE id = ${userId}`;
      const [left] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM mail_digests`;
      expect(left?.n).toBe(0);
    } finally {
      await data.close();
    }
  });
});
