// Exactly-once reminders across real API processes: two replicas (A, B) on one PostgreSQL and one
// Redis, sending through a real SMTP server on loopback. N due tasks must give exactly N reminder mails
// counted at the server, with replica A killed (SIGKILL) in the middle of two SMTP transactions and
// started again, and none for tasks completed or archived after their reminder was queued. The server
// holds transactions at RCPT TO while the test acts, so the kill lands inside the transactions, before
// the server accepted anything: the window this cannot cover (a death between the server's "250" and
// the commit of 'sent') is documented in docs/architecture.md and tested in mail-jobs.test.ts.
// The daily digest is tested the same way: M users, two replicas scanning every second, one killed
// inside two digest transactions: exactly M digests, one per user, none for a user with nothing unread.
// CI: .ci/suites "api processes".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import postgres from "postgres";
import { type RunningApi, startApi } from "./support/api-process.ts";
import { addMember, call, createProject, eventually, scrape, signUp, type User } from "./support/client.ts";
import { decodedBody } from "./support/mail-links.ts";
import { createDatabase, type RestartableService, startPostgres, startRedis } from "./support/services.ts";
import { startTestSmtp, type TestSmtp } from "./support/smtp.ts";

setDefaultTimeout(90_000);

const N = 40;
const HOUR = 3_600_000;

let pg: RestartableService;
let redis: RestartableService;
let smtp: TestSmtp;
let databaseUrl: string;
let db: postgres.Sql;
const apis: RunningApi[] = [];

// Fast loops; a mail timeout long enough for held transactions to outlast the test's steps on a loaded
// machine, and the shortest lease config.ts allows with it (2 × 4 s + 5 s).
const env = () => ({
  SMTP_URL: smtp.url,
  PUBLIC_URL: "https://tasks.example.test",
  MAIL_TIMEOUT_SECONDS: "4",
  JOBS_LEASE_SECONDS: "13",
  JOBS_POLL_MS: "50",
  JOBS_CONCURRENCY: "2",
  JOBS_RETRY_BASE_MS: "200",
  SCHEDULER_INTERVAL_SECONDS: "1",
  // Digests from midnight UTC on: whenever the suite runs, today's digests are due.
  DIGEST_HOUR_UTC: "0",
  RATE_LIMIT_AUTH_IP: "100000",
  RATE_LIMIT_USER: "100000",
  RATE_LIMIT_IP: "100000",
});
const replica = async () => {
  const api = await startApi({ databaseUrl, redisUrl: redis.url, env: env() });
  apis.push(api);
  return api;
};

beforeAll(async () => {
  [pg, redis, smtp] = await Promise.all([startPostgres(), startRedis(), startTestSmtp()]);
  databaseUrl = await createDatabase(pg.url);
  db = postgres(databaseUrl, { max: 2, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  await Promise.all(apis.map((api) => api.stop("SIGKILL")));
  await db?.end();
  await Promise.all([pg?.stop(), redis?.stop(), smtp?.close()]);
});

async function createDueTask(base: string, user: User, projectId: string, title: string, dueInMs: number) {
  const reply = await call(base, "POST", "/api/tasks", {
    token: user.token,
    body: { projectId, title, dueAt: new Date(Date.now() + dueInMs).toISOString(), assigneeId: user.id },
  });
  if (reply.status !== 201) {
    const errors = apis.flatMap((api) =>
      api
        .output()
        .split("\n")
        .filter((line) => line.includes('"level":"error"')),
    );
    throw new Error(`task not created: ${reply.status} ${reply.text}\n${errors.slice(-3).join("\n")}`);
  }
  return reply.body as { id: string };
}

describe("two replicas, one killed mid-send", () => {
  test(`${N} due tasks give exactly ${N} reminder mails; none for tasks completed or archived meanwhile`, async () => {
    const a = await replica();
    const b = await replica();
    const user = await signUp(a.url, "reminded");
    const projectId = await createProject(a.url, user, "Deadlines");
    const started = performance.now();
    const doomedIds = (ids: string[]) => db(ids);

    // N tasks due within the hour, created through both replicas. The server holds every transaction,
    // so the 4 worker slots (2 per replica) each stop inside their first mail.
    smtp.hold();
    const titles = Array.from({ length: N }, (_, i) => `due-${i}-${crypto.randomUUID().slice(0, 6)}`);
    // A few at a time: task writes to one project queue on its row, and this is no load test.
    for (let i = 0; i < N; i += 5)
      await Promise.all(
        titles
          .slice(i, i + 5)
          .map((title, j) => createDueTask(j % 2 ? a.url : b.url, user, projectId, title, HOUR)),
      );
    await eventually(async () => smtp.held === 4, "all four worker slots inside an SMTP transaction", 20_000);

    // Six more, queued behind the others: three completed and three archived once their reminder is queued.
    const doomed = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createDueTask(b.url, user, projectId, `doomed-${i}`, HOUR)),
    );
    const ids = doomed.map((task) => task.id);
    await eventually(async () => {
      const [row] = await db`SELECT count(*)::int AS n FROM jobs WHERE key LIKE 'reminder:%'
        AND done_at IS NULL AND split_part(key, ':', 3) IN ${doomedIds(ids)}`;
      return row?.n === 6;
    }, "reminders queued (not sent) for the doomed tasks");
    await Promise.all(
      doomed.map((task, i) =>
        i < 3
          ? call(b.url, "PATCH", `/api/tasks/${task.id}`, { token: user.token, body: { status: "done" } })
          : call(b.url, "POST", `/api/tasks/${task.id}/archive`, { token: user.token }),
      ),
    );

    // Let some mail through, then stop all four slots inside a transaction again and kill A: both of
    // A's transactions end without the server accepting their messages.
    smtp.release();
    await eventually(async () => smtp.received.length >= 10, "the first mails", 20_000);
    smtp.hold();
    await eventually(async () => smtp.held === 4, "all four slots inside a transaction again", 20_000);
    const receivedAtKill = smtp.received.length;
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    await eventually(async () => smtp.abandoned >= 2, "the killed replica's two transactions abandoned");
    const abandoned = smtp.abandoned;
    smtp.release();
    const restarted = await replica();

    // Every reminder job finished and no mail left mid-send: nothing more can arrive.
    await eventually(
      async () => {
        const [row] =
          await db`SELECT count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL)::int AS open,
          count(*)::int AS total FROM jobs WHERE kind = 'reminder.send'`;
        const [sending] = await db`SELECT count(*)::int AS n FROM mail_outbox WHERE status = 'sending'`;
        return row?.total === N + 6 && row?.open === 0 && sending?.n === 0;
      },
      "every reminder job done",
      60_000,
    );
    const elapsed = performance.now() - started;
    const reminders = smtp.received.filter((mail) => mail.subject.startsWith("Due within 24 hours:"));
    const perTitle = titles.map((title) => reminders.filter((mail) => mail.subject.endsWith(title)).length);
    const messageIds = new Set(reminders.map((mail) => mail.messageId));
    console.log(
      `[mail] ${N} due tasks → ${reminders.length} reminder mails (${messageIds.size} distinct Message-IDs) in ` +
        `${(elapsed / 1000).toFixed(1)} s; replica A killed inside 2 SMTP transactions after ${receivedAtKill} ` +
        `mails (${abandoned} transactions abandoned in all, sent again later); 0 mails for 6 tasks ` +
        `completed or archived after their reminder was queued`,
    );
    expect(perTitle.every((count) => count === 1)).toBe(true);
    expect(reminders).toHaveLength(N);
    expect(messageIds.size).toBe(N);
    expect(smtp.received.filter((mail) => mail.subject.includes("doomed-"))).toHaveLength(0);
    expect(smtp.received).toHaveLength(N);

    // The survivors count what they sent; together with A's lost counter they cover all N.
    const sentBy = async (api: RunningApi) =>
      (await scrape(api.url)).get('mail_sent_total{kind="reminder.due24h"}') ?? 0;
    const survivors = (await sentBy(b)) + (await sentBy(restarted));
    expect(survivors).toBeGreaterThan(0);
    expect(survivors).toBeLessThanOrEqual(N);
    // Logs name the mail's kind and Message-ID, never its address or body.
    const logs = b.output() + restarted.output();
    expect(logs).toContain('"msg":"mail sent"');
    expect(logs).not.toContain(user.email);
    expect(logs).not.toContain("Due within 24 hours");
  });

  test("SIGTERM stops the worker cleanly: the process exits 0 and its jobs are not left leased", async () => {
    const api = apis[apis.length - 1] as RunningApi;
    const code = await api.stop("SIGTERM");
    expect(code).toBe(0);
    const [row] =
      await db`SELECT count(*)::int AS n FROM jobs WHERE locked_until > now() AND done_at IS NULL`;
    expect(row?.n).toBe(0);
  });
});

describe("daily digests with two replicas, one killed mid-send", () => {
  const M = 12;

  test(`${M} users with something unread get exactly ${M} digests; a user with nothing gets none`, async () => {
    // Only this describe's replicas run from here on.
    await Promise.all(apis.filter((api) => api.proc.exitCode === null).map((api) => api.stop("SIGKILL")));
    const c = await replica();
    const d = await replica();
    const owner = await signUp(c.url, "digest-owner");
    const projectId = await createProject(c.url, owner, "Digests");
    const users = await Promise.all(
      Array.from({ length: M + 1 }, (_, i) => signUp(i % 2 ? c.url : d.url, `digest-${i}`)),
    );
    const idle = users[M] as User;
    // Assignments go to the digest; being added is not mailed (chosen before being added).
    for (const user of users) {
      const reply = await call(c.url, "PUT", "/api/me/preferences", {
        token: user.token,
        body: { mailDelivery: { assigned: "digest", added_to_project: "off" } },
      });
      expect(reply.status).toBe(200);
      await addMember(d.url, owner, projectId, user);
    }
    const started = performance.now();
    const digestMails = () => smtp.received.filter((m) => m.subject.startsWith("TaskPlatform: "));
    const before = { received: digestMails().length, abandoned: smtp.abandoned };

    // One assigned task each, through both replicas, while the server holds every transaction: the
    // four worker slots each stop inside a digest, then replica C is killed inside its two.
    smtp.hold();
    const titles = users.slice(0, M).map((_, i) => `digest-task-${i}-${crypto.randomUUID().slice(0, 6)}`);
    await Promise.all(
      users.slice(0, M).map(async (user, i) => {
        const reply = await call(i % 2 ? c.url : d.url, "POST", "/api/tasks", {
          token: owner.token,
          body: { projectId, title: titles[i], assigneeId: user.id },
        });
        expect(reply.status).toBe(201);
      }),
    );
    await eventually(async () => smtp.held === 4, "four worker slots inside a digest transaction", 20_000);
    c.proc.kill("SIGKILL");
    await c.proc.exited;
    await eventually(
      async () => smtp.abandoned >= before.abandoned + 2,
      "the killed replica's transactions abandoned",
    );
    smtp.release();
    const restarted = await replica();

    await eventually(
      async () => {
        const [row] =
          await db`SELECT count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL)::int AS open,
          count(*)::int AS total FROM jobs WHERE kind = 'digest.send'`;
        const [sending] = await db`SELECT count(*)::int AS n FROM mail_outbox WHERE status = 'sending'`;
        return row?.total === M && row?.open === 0 && sending?.n === 0;
      },
      "every digest job done",
      60_000,
    );
    const elapsed = performance.now() - started;
    // Two more scheduler runs on each surviving replica queue nothing more.
    const lastRun = async (api: RunningApi) =>
      (await scrape(api.url)).get("scheduler_last_run_timestamp_seconds") ?? 0;
    const runs = { d: await lastRun(d), restarted: await lastRun(restarted) };
    await eventually(
      async () => (await lastRun(d)) >= runs.d + 2 && (await lastRun(restarted)) >= runs.restarted + 2,
      "two more scheduler runs on each replica",
    );
    const [jobs] = await db`SELECT count(*)::int AS n FROM jobs WHERE kind = 'digest.send'`;
    expect(jobs?.n).toBe(M);

    const digests = digestMails().slice(before.received);
    const perUser = users.slice(0, M).map((user) => digests.filter((m) => m.envelopeTo.includes(user.email)));
    console.log(
      `[mail] ${M} users with an unread assignment → ${digests.length} digests ` +
        `(${new Set(digests.map((m) => m.messageId)).size} distinct Message-IDs) in ${(elapsed / 1000).toFixed(1)} s ` +
        `with two replicas scanning every second; replica C killed inside 2 SMTP transactions ` +
        `(${smtp.abandoned - before.abandoned} abandoned, sent again later); 0 for the user with nothing unread`,
    );
    expect(perUser.map((mails) => mails.length)).toEqual(Array(M).fill(1));
    perUser.forEach((mails, i) => {
      expect(decodedBody(mails[0]?.raw ?? "")).toContain(`assigned "${titles[i]}" in Digests to you`);
    });
    expect(digests.filter((m) => m.envelopeTo.includes(idle.email))).toHaveLength(0);
    expect(digests).toHaveLength(M);
  });
});
