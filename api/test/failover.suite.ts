// Failover of the highly available backends under load (issue 22, "host-mode failover suite"): three
// PostgreSQL members under Patroni (etcd, synchronous replication), a Redis primary with two replicas and
// three Sentinels, two API processes reaching them by a multi-host DATABASE_URL and REDIS_SENTINELS.
// A writer per API creates tasks, takes event tickets (Redis) and lists tasks while every API holds an
// open event stream. Then the PostgreSQL primary's host goes (Patroni and its postmaster, kill -9), and
// later the Redis primary (kill -9). For each: every answer is 2xx or 503 with Retry-After, none takes
// 2 s or more, every acknowledged task is there, every stream got the events or a resync, and the time
// from the first error to the last (instance, request kind) answering again meets its target.
// CI: .ci/suites "database and redis failover".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import postgres from "postgres";
import { type RunningApi, startApi } from "./support/api-process.ts";
import {
  call,
  createProject,
  eventually,
  openEvents,
  payload,
  type SseMessage,
  signUp,
  type User,
} from "./support/client.ts";
import {
  PATRONI_TIMING,
  REDIS_PASSWORD,
  SENTINEL_MASTER,
  SENTINEL_PASSWORD,
  SENTINEL_TIMING,
  startHighAvailability,
} from "./support/ha.ts";

setDefaultTimeout(240_000);

/** No answer may take this long, during a failover or not. */
const BOUND_MS = 2000;
const POSTGRES_TARGET_S = 15;
const REDIS_TARGET_S = 10;
/** A failover is over once every kind of request on every instance has succeeded for this long. */
const SETTLED_MS = 3000;

type Kind = "write" | "ticket" | "read";
interface Outcome {
  api: number;
  kind: Kind;
  start: number;
  end: number;
  /** 0: no HTTP answer (connection error or the client's 5 s timeout). */
  status: number;
  retryAfter: boolean;
}
const ok = (outcome: Outcome) => outcome.status >= 200 && outcome.status < 300;

let ha: Awaited<ReturnType<typeof startHighAvailability>>;
const apis: RunningApi[] = [];
let user: User;
let projectId: string;
const outcomes: Outcome[] = [];
/** Tasks the API answered 201 for, with when the answer came. */
const acknowledged: { id: string; at: number }[] = [];
let running = true;
let traffic: Promise<void>[] = [];
const streams: Stream[] = [];

interface Stream {
  messages: SseMessage[];
  stop(): Promise<void>;
}

/** An event stream that reconnects with Last-Event-ID when it ends, as EventSource does. */
function follow(api: RunningApi): Stream {
  const messages: SseMessage[] = [];
  let stopped = false;
  let current: Awaited<ReturnType<typeof openEvents>> | undefined;
  const loop = (async () => {
    while (!stopped) {
      const lastEventId = messages.findLast((m) => m.id !== undefined)?.id;
      current = await openEvents(api.url, { token: user.token, lastEventId }).catch(() => undefined);
      if (current?.status === 200) {
        const seen = current.messages;
        let copied = 0;
        // Copy as they come: the assertions read one list per stream across reconnects.
        while (!current.closed && !stopped) {
          await current.waitFor(() => seen.length > copied, 1000).catch(() => undefined);
          messages.push(...seen.slice(copied));
          copied = seen.length;
        }
        messages.push(...seen.slice(copied));
      }
      if (!stopped) await Bun.sleep(200);
    }
  })();
  return {
    messages,
    async stop() {
      stopped = true;
      current?.close();
      await loop;
    },
  };
}

async function drive(index: number, api: RunningApi): Promise<void> {
  const kinds: [Kind, () => ReturnType<typeof call>][] = [
    [
      "write",
      () =>
        call(api.url, "POST", "/api/tasks", {
          token: user.token,
          body: { projectId, title: "w" },
          timeoutMs: 5000,
        }),
    ],
    ["ticket", () => call(api.url, "POST", "/api/events/ticket", { token: user.token, timeoutMs: 5000 })],
    [
      "read",
      () =>
        call(api.url, "GET", `/api/tasks?projectId=${projectId}&limit=5`, {
          token: user.token,
          timeoutMs: 5000,
        }),
    ],
  ];
  while (running) {
    for (const [kind, request] of kinds) {
      const start = performance.now();
      const reply = await request().catch(() => undefined);
      const end = performance.now();
      const status = reply?.status ?? 0;
      outcomes.push({
        api: index,
        kind,
        start,
        end,
        status,
        retryAfter: Boolean(reply?.headers.get("retry-after")),
      });
      if (kind === "write" && status === 201) acknowledged.push({ id: reply?.body.id, at: end });
    }
    // Pacing, not waiting: two writers on a 2-core machine shared with the clusters they test.
    await Bun.sleep(20);
  }
}

async function missingTasks(ids: string[]): Promise<string[]> {
  const sql = postgres(ha.postgres.url("tasks"), { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    const rows = await sql<{ id: string }[]>`SELECT id::text FROM tasks WHERE id = ANY(${ids}::uuid[])`;
    const found = new Set(rows.map((row) => row.id));
    return ids.filter((id) => !found.has(id));
  } finally {
    await sql.end({ timeout: 1 });
  }
}

interface Report {
  requests: number;
  unavailable: number;
  failedOtherwise: Outcome[];
  slowest: number;
  slowestWhat: string;
  recoveredS: number;
  lost: string[];
  streamsMissing: number[];
}

const describeSlowest = (window: Outcome[], since: number) => {
  const slowest = window.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  return `${seconds(slowest.end - slowest.start)} s (${slowest.kind} → ${slowest.status || "no answer"}, sent at +${seconds(Math.max(0, slowest.start - since))} s)`;
};

/** Kills, waits for the API to answer every kind of request again, and measures the window. */
async function failover(what: string, kill: () => Promise<string>, targetS: number): Promise<Report> {
  const from = outcomes.length;
  const startedAt = performance.now();
  const killed = await kill();
  const settled = () => {
    const now = performance.now();
    const window = outcomes.slice(from);
    if (now - startedAt < SETTLED_MS) return false;
    for (const api of [0, 1])
      for (const kind of ["write", "ticket", "read"] as Kind[]) {
        const mine = window.filter((o) => o.api === api && o.kind === kind);
        const lastFailure = mine.findLast((o) => !ok(o));
        const lastSuccess = mine.findLast(ok);
        if (!lastSuccess || (lastFailure && lastFailure.end >= lastSuccess.start)) return false;
        if (lastFailure && now - lastFailure.end < SETTLED_MS) return false;
      }
    return true;
  };
  await eventually(async () => settled(), `${what}: every request kind answering again`, 60_000).catch(
    (error: Error) => {
      const stuck = outcomes.slice(-6).map((o) => `${o.kind} on api ${o.api}: ${o.status}`);
      throw new Error(`${error.message}; last answers ${stuck.join(", ")}\n${ha.logs()}`);
    },
  );
  const window = outcomes.slice(from);
  const failures = window.filter((o) => !ok(o));
  // From the first error to the moment the last (instance, kind) that failed answered again.
  let recoveredAt = failures[0]?.start ?? startedAt;
  for (const api of [0, 1])
    for (const kind of ["write", "ticket", "read"] as Kind[]) {
      const mine = window.filter((o) => o.api === api && o.kind === kind);
      const lastFailure = mine.findLast((o) => !ok(o));
      if (!lastFailure) continue;
      const back = mine.find((o) => ok(o) && o.start > lastFailure.start);
      if (back) recoveredAt = Math.max(recoveredAt, back.end);
    }
  const recoveredS = failures.length === 0 ? 0 : (recoveredAt - (failures[0]?.start ?? startedAt)) / 1000;

  // Every task acknowledged so far, this window's included, is in the new primary.
  const lost = await missingTasks(acknowledged.map((task) => task.id));
  // Every stream saw each task acknowledged in this window, or was told to resync.
  const written = acknowledged.filter((task) => task.at >= startedAt).map((task) => task.id);
  const streamMissing = (stream: Stream) => {
    const resynced = stream.messages.some((m) => m.event === "resync" && m.at >= startedAt);
    if (resynced) return 0;
    const seen = new Set(
      stream.messages.filter((m) => m.event === "task.created").map((m) => payload(m).task?.id as string),
    );
    return written.filter((id) => !seen.has(id)).length;
  };
  await eventually(
    async () => streams.every((s) => streamMissing(s) === 0),
    `${what}: events or resync`,
    15_000,
  ).catch(() => {});
  const report: Report = {
    requests: window.length,
    unavailable: window.filter((o) => o.status === 503 && o.retryAfter).length,
    failedOtherwise: window.filter((o) => !ok(o) && !(o.status === 503 && o.retryAfter)),
    slowest: Math.max(...window.map((o) => o.end - o.start)),
    slowestWhat: describeSlowest(window, startedAt),
    recoveredS,
    lost,
    streamsMissing: streams.map(streamMissing),
  };
  const resyncs = streams.filter((s) =>
    s.messages.some((m) => m.event === "resync" && m.at >= startedAt),
  ).length;
  console.log(
    `${what} (${killed}): ${report.requests} requests, ${report.unavailable} answered 503, ` +
      `${report.failedOtherwise.length} failed otherwise, ${lost.length} acknowledged writes lost, ` +
      `slowest answer ${report.slowestWhat}, ${streams.length - resyncs} streams got every event ` +
      `and ${resyncs} a resync, recovered in ${recoveredS.toFixed(1)} s (target ${targetS} s)`,
  );
  return report;
}

/** The APIs' own account of what went wrong (errors and the slowest requests), for a failing check. */
function apiTrouble(): string {
  return apis
    .flatMap((api, i) =>
      api
        .output()
        .split("\n")
        .filter(
          (line) =>
            /"durationMs":(1[5-9]\d\d|[2-9]\d\d\d|\d{5,})/.test(line) ||
            (line.includes('"level":"error"') && !line.includes('"msg":"request"')),
        )
        .slice(0, 5)
        .map((line) => `api ${i}: ${line.slice(0, 600)}`),
    )
    .join("\n");
}

function expectWithinBounds(report: Report, targetS: number) {
  if (report.failedOtherwise.length > 0 || report.slowest >= BOUND_MS) console.log(apiTrouble());
  expect(report.failedOtherwise.map((o) => `${o.kind} on api ${o.api}: ${o.status}`)).toEqual([]);
  expect(report.slowest).toBeLessThan(BOUND_MS);
  expect(report.lost).toEqual([]);
  expect(report.streamsMissing).toEqual(streams.map(() => 0));
  expect(report.recoveredS).toBeLessThanOrEqual(targetS);
}

beforeAll(async () => {
  ha = await startHighAvailability();
  const admin = postgres(ha.postgres.url("postgres"), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe("CREATE DATABASE tasks");
  } finally {
    await admin.end();
  }
  // Synchronous replication waits for the WAL to be flushed on the standby, not replayed: wait until
  // every member has the new database before an API may try it first.
  for (const member of ha.postgres.members)
    await eventually(async () => {
      const sql = postgres(`postgres://postgres@127.0.0.1:${member.pgPort}/tasks`, {
        max: 1,
        onnotice: () => {},
      });
      try {
        await sql`SELECT 1`;
        return true;
      } finally {
        await sql.end({ timeout: 1 });
      }
    }, `the tasks database on ${member.name}`);
  const env = {
    REDIS_SENTINELS: ha.redis.sentinelList,
    REDIS_SENTINEL_NAME: SENTINEL_MASTER,
    REDIS_PASSWORD,
    REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    RATE_LIMIT_AUTH_IP: "100000",
    RATE_LIMIT_IP: "100000",
    RATE_LIMIT_USER: "100000",
    SSE_HEARTBEAT_SECONDS: "1",
    JOBS_ENABLED: "false",
  };
  // One at a time: the first one migrates the new database. Each form of the multi-host URL once.
  for (const attrs of ["primary", "read-write"] as const)
    apis.push(await startApi({ databaseUrl: ha.postgres.url("tasks", attrs), env, timeoutMs: 60_000 }));
  user = await signUp(apis[0]?.url ?? "", "failover");
  projectId = await createProject(apis[0]?.url ?? "", user, "Failover");
  for (const api of apis) streams.push(follow(api));
  // Both streams are open (their `ready` came) before anything is measured.
  await eventually(
    async () => streams.every((s) => s.messages.some((m) => m.event === "ready")),
    "streams open",
  );
  traffic = apis.map((api, i) => drive(i, api));
  await eventually(async () => acknowledged.length >= 10, "the writers under way");
});

afterAll(async () => {
  running = false;
  await Promise.all(traffic);
  await Promise.all(streams.map((s) => s.stop()));
  await Promise.all(apis.map((api) => api.stop("SIGKILL")));
  await ha?.stop();
});

describe("failover under load", () => {
  test("the API starts on the multi-host DATABASE_URL and through Sentinel", () => {
    for (const api of apis) {
      expect(api.output()).toContain("database: PostgreSQL from DATABASE_URL");
      expect(api.output()).toContain(`store: Redis master ${SENTINEL_MASTER} through 3 Sentinels`);
    }
  });

  test("postgres.js (patched): target_session_attrs=primary and read-write both pass over standbys", async () => {
    const leader = await ha.postgres.leader();
    const standbysFirst = [...ha.postgres.members.filter((m) => m !== leader), leader];
    const hosts = standbysFirst.map((m) => `127.0.0.1:${m.pgPort}`).join(",");
    const inRecovery = async (attrs: string) => {
      const sql = postgres(`postgres://postgres@${hosts}/tasks?target_session_attrs=${attrs}`, {
        max: 1,
        connect_timeout: 2,
        onnotice: () => {},
      });
      try {
        return (await sql`SELECT pg_is_in_recovery() AS standby`)[0]?.standby;
      } finally {
        await sql.end({ timeout: 1 });
      }
    };
    expect(await inRecovery("primary")).toBe(false);
    // Unpatched postgres.js 3.4.9 took a hot standby for read-write (default_transaction_read_only=off).
    expect(await inRecovery("read-write")).toBe(false);
  });

  test(`PostgreSQL primary's host lost (Patroni ttl ${PATRONI_TIMING.ttl} s): 503s only, nothing lost, back within ${POSTGRES_TARGET_S} s`, async () => {
    const report = await failover(
      "postgres primary killed",
      async () => {
        const leader = await ha.postgres.leader();
        const postmaster = leader.postmasterPid();
        // The whole host: Patroni first (else it would restart its PostgreSQL), then the postmaster.
        process.kill(leader.patroni.pid, "SIGKILL");
        if (postmaster) process.kill(postmaster, "SIGKILL");
        return `${leader.name}: postmaster and Patroni, kill -9`;
      },
      POSTGRES_TARGET_S,
    );
    expect(report.unavailable).toBeGreaterThan(0);
    expectWithinBounds(report, POSTGRES_TARGET_S);
    // The survivors: a new leader with the other member as its synchronous standby.
    await ha.postgres.healthy(2);
  });

  test(`Redis primary lost (Sentinel down-after ${SENTINEL_TIMING.downAfterMs} ms): 503s only, streams resync, back within ${REDIS_TARGET_S} s`, async () => {
    const report = await failover(
      "redis primary killed",
      async () => {
        const master = await ha.redis.master();
        process.kill(master.proc.pid, "SIGKILL");
        return `port ${master.port}, kill -9`;
      },
      REDIS_TARGET_S,
    );
    expect(report.unavailable).toBeGreaterThan(0);
    expectWithinBounds(report, REDIS_TARGET_S);
    await ha.redis.healthy(1);
  });
});
