// Exactly-once reminders across real API processes: two replicas (A, B) on one PostgreSQL and one
// Redis, sending through a real SMTP server on loopback that takes 150 ms to answer each message. N due
// tasks must give exactly N reminder mails counted at the server, with replica A killed (SIGKILL) while
// it is in the middle of SMTP transactions and started again, and none for tasks completed or archived
// after their reminder was queued. CI: .ci/suites "api processes".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import postgres from "postgres";
import { type RunningApi, startApi } from "./support/api-process.ts";
import { call, createProject, eventually, scrape, signUp, type User } from "./support/client.ts";
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

// Fast loops, a short mail timeout and the shortest lease config.ts allows with it (2 × 1 s + 5 s).
const env = () => ({
  SMTP_URL: smtp.url,
  PUBLIC_URL: "https://tasks.example.test",
  MAIL_TIMEOUT_SECONDS: "1",
  JOBS_LEASE_SECONDS: "7",
  JOBS_POLL_MS: "50",
  JOBS_CONCURRENCY: "2",
  JOBS_RETRY_BASE_MS: "200",
  SCHEDULER_INTERVAL_SECONDS: "1",
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
  [pg, redis, smtp] = await Promise.all([
    startPostgres(),
    startRedis(),
    startTestSmtp({ replyDelayMs: 150 }),
  ]);
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
  if (reply.status !== 201) throw new Error(`task not created: ${reply.status} ${reply.text}`);
  return reply.body as { id: string };
}

describe("two replicas, one killed mid-send", () => {
  test(`${N} due tasks give exactly ${N} reminder mails; none for tasks completed or archived meanwhile`, async () => {
    const a = await replica();
    const b = await replica();
    const user = await signUp(a.url, "reminded");
    const projectId = await createProject(a.url, user, "Deadlines");
    const started = performance.now();

    // N tasks due within the hour, created through both replicas.
    const titles = Array.from({ length: N }, (_, i) => `due-${i}-${crypto.randomUUID().slice(0, 6)}`);
    await Promise.all(
      titles.map((title, i) => createDueTask(i % 2 ? a.url : b.url, user, projectId, title, HOUR)),
    );

    // Six more, created last (so queued behind the backlog): three completed and three archived as soon
    // as their reminder job exists, before a worker reaches it.
    const doomed = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createDueTask(b.url, user, projectId, `doomed-${i}`, HOUR)),
    );
    await eventually(async () => {
      const [row] = await db`SELECT count(*)::int AS n FROM jobs WHERE key LIKE 'reminder:%'
        AND split_part(key, ':', 3) IN ${db(doomed.map((task) => task.id))}`;
      return row?.n === 6;
    }, "reminders queued for the doomed tasks");
    const [pendingDoomed] = await db`SELECT count(*)::int AS n FROM jobs WHERE key LIKE 'reminder:%'
      AND done_at IS NULL AND split_part(key, ':', 3) IN ${db(doomed.map((task) => task.id))}`;
    await Promise.all(
      doomed.map((task, i) =>
        i < 3
          ? call(b.url, "PATCH", `/api/tasks/${task.id}`, { token: user.token, body: { status: "done" } })
          : call(b.url, "POST", `/api/tasks/${task.id}/archive`, { token: user.token }),
      ),
    );

    // Kill A while both replicas are inside SMTP transactions (4 slots; ≥ 3 busy means A has one).
    await eventually(async () => smtp.received.length >= 5 && smtp.sending >= 3, "replicas sending", 20_000);
    const sendingAtKill = smtp.sending;
    const receivedAtKill = smtp.received.length;
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    await eventually(async () => smtp.abandoned >= 1, "the killed replica's SMTP transaction abandoned");
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
        `${(elapsed / 1000).toFixed(1)} s; replica A killed with ${sendingAtKill} SMTP transactions open ` +
        `after ${receivedAtKill} mails, ${smtp.abandoned} abandoned by it and sent again by B or A'; ` +
        `${pendingDoomed?.n}/6 doomed reminders were still queued when their tasks were completed/archived`,
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
    for (const api of [b, restarted]) {
      expect(api.output()).toContain('"msg":"mail sent"');
      expect(api.output()).not.toContain(user.email);
      expect(api.output()).not.toContain("Due within 24 hours");
    }
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
