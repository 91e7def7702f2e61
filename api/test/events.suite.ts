// Live updates across real API processes: two replicas (A, B) on one PostgreSQL and one Redis, plus a
// third instance (C) with its own tiny event stream for the retention window. CI: .ci/suites "api processes".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type RunningApi, startApi } from "./support/api-process.ts";
import {
  addMember,
  call,
  createProject,
  createTask,
  eventually,
  openEvents,
  PASSWORD,
  payload,
  type Reply,
  type SseClient,
  type SseMessage,
  signUp,
  streamTicket,
  type User,
} from "./support/client.ts";
import {
  createDatabase,
  type PausableService,
  type RestartableService,
  startPostgres,
  startRedis,
} from "./support/services.ts";

setDefaultTimeout(30_000);

let pg: RestartableService;
let redis: PausableService;
let databaseUrl: string;
let a: RunningApi;
let b: RunningApi;
let c: RunningApi;
const streams: SseClient[] = [];
// A bystander with a project of their own, listening from the start: must never see anyone else's events.
let bystander: User;
let bystanderProject: string;
let bystanderStream: SseClient;

const open = async (...args: Parameters<typeof openEvents>) => {
  const stream = await openEvents(...args);
  streams.push(stream);
  return stream;
};
const isReady = (message: SseMessage) => message.event === "ready";
const taskEvent = (type: string, taskId: string) => (message: SseMessage) =>
  message.event === type && payload(message).task?.id === taskId;

beforeAll(async () => {
  // Small stream nodes: Redis trims "MAXLEN ~" in whole nodes (100 entries by default), so a short
  // retained window needs only a few dozen events to push an old id out.
  [pg, redis] = await Promise.all([
    startPostgres(),
    startRedis({ args: ["--stream-node-max-entries", "5"] }),
  ]);
  databaseUrl = await createDatabase(pg.url);
  const env = { RATE_LIMIT_AUTH_IP: "100000", SSE_HEARTBEAT_SECONDS: "1" };
  a = await startApi({ databaseUrl, redisUrl: redis.url, env });
  [b, c] = await Promise.all([
    startApi({ databaseUrl, redisUrl: redis.url, env }),
    // Its own stream (key prefix) keeping only ~10 events, so an old Last-Event-ID falls out of it.
    startApi({
      databaseUrl,
      redisUrl: redis.url,
      env: { ...env, REDIS_KEY_PREFIX: "small:", EVENTS_RETAINED: "10" },
    }),
  ]);
  bystander = await signUp(a.url, "bystander");
  bystanderProject = await createProject(a.url, bystander, "Private");
  bystanderStream = await open(b.url, { token: bystander.token });
  await bystanderStream.waitFor(isReady);
}, 60_000);

afterAll(async () => {
  for (const stream of streams) stream.close();
  await Promise.all([a, b, c].map((api) => api?.stop()));
  await Promise.all([pg?.stop(), redis?.stop()]);
});

describe("live updates across replicas", () => {
  test("a task written through A reaches an SSE client of B within 1 s of its 201, with ids", async () => {
    const owner = await signUp(a.url, "owner");
    const projectId = await createProject(a.url, owner);
    const stream = await open(b.url, { token: owner.token });
    expect(stream.status).toBe(200);
    await stream.waitFor(isReady);

    const sinceRequest: number[] = [];
    const sinceAck: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      const created = await createTask(a.url, owner, projectId, `live ${i}`);
      const acked = performance.now();
      expect(created.status).toBe(201);
      const message = await stream.waitFor(taskEvent("task.created", created.body.id), 1000);
      sinceRequest.push(message.at - started);
      sinceAck.push(Math.max(0, message.at - acked));
      expect(message.id).toMatch(/^\d+-\d+$/);
      ids.push(message.id as string);
      expect(payload(message)).toMatchObject({
        type: "task.created",
        projectId,
        actorId: owner.id,
        task: { id: created.body.id, title: `live ${i}`, projectId },
      });
    }
    const fmt = (values: number[]) => values.map((value) => value.toFixed(1)).join(", ");
    console.log(
      `[events] cross-replica latency A→B: from request ${fmt(sinceRequest)} ms; after the 201 ${fmt(sinceAck)} ms`,
    );
    // Within 1 s of the write's 201 (the wait above): the fan-out's delay. The time from the request also
    // counts the write itself, which a loaded machine stretches (1.08 s seen with 20 processes running).
    expect(Math.max(...sinceAck)).toBeLessThan(1000);
    // Ids are unique and in stream order.
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((x, y) => compareIds(x, y))).toEqual(ids);
  });

  test("moves, updates and deletes arrive too, and a project the user creates elsewhere is followed at once", async () => {
    const owner = await signUp(a.url, "creator");
    const stream = await open(b.url, { token: owner.token });
    await stream.waitFor(isReady);
    // Created through A after B's stream started: B must add it to the user's projects by itself.
    const projectId = await createProject(a.url, owner, "New");
    await stream.waitFor((m) => m.event === "project.created" && payload(m).projectId === projectId);
    const task = (await createTask(a.url, owner, projectId, "follow me")).body;
    await stream.waitFor(taskEvent("task.created", task.id));
    expect(
      (
        await call(a.url, "PATCH", `/api/tasks/${task.id}`, {
          token: owner.token,
          body: { title: "renamed" },
        })
      ).status,
    ).toBe(200);
    expect((await stream.waitFor(taskEvent("task.updated", task.id))).data).toContain("renamed");
    const moved = await call(a.url, "POST", `/api/tasks/${task.id}/move`, {
      token: owner.token,
      body: { status: "done", position: 0 },
    });
    expect(moved.status).toBe(200);
    await stream.waitFor(taskEvent("task.moved", task.id));
    expect((await call(a.url, "DELETE", `/api/tasks/${task.id}`, { token: owner.token })).status).toBe(204);
    await stream.waitFor(taskEvent("task.deleted", task.id));
  });

  test("reconnecting with Last-Event-ID replays what was missed, in order, without resync", async () => {
    const owner = await signUp(a.url, "resumer");
    const projectId = await createProject(a.url, owner);
    const first = await open(b.url, { token: owner.token });
    await first.waitFor(isReady);
    const seen = (await createTask(a.url, owner, projectId, "seen")).body;
    const lastSeen = await first.waitFor(taskEvent("task.created", seen.id));
    first.close();
    await first.ended;

    const missed: string[] = [];
    for (const title of ["missed 1", "missed 2", "missed 3"]) {
      missed.push((await createTask(a.url, owner, projectId, title)).body.id);
    }
    const resumed = await open(b.url, { token: owner.token, lastEventId: lastSeen.id });
    await resumed.waitFor(taskEvent("task.created", missed[2] as string));
    const replayed = resumed.messages
      .filter((m) => m.event === "task.created")
      .map((m) => payload(m).task.id);
    expect(replayed).toEqual(missed);
    expect(resumed.messages.some((m) => m.event === "resync")).toBe(false);
    expect(resumed.messages.some((m) => m.id === lastSeen.id)).toBe(false);

    // The web client resumes with ?ticket=…&lastEventId=… (EventSource cannot set headers).
    const viaQuery = await open(b.url, {
      ticket: await streamTicket(a.url, owner),
      query: { lastEventId: lastSeen.id as string },
    });
    await viaQuery.waitFor(taskEvent("task.created", missed[2] as string));
    expect(viaQuery.messages.filter((m) => m.event === "task.created").length).toBe(3);
  });

  test("a Last-Event-ID older than the retained window gets resync; a recent one replays", async () => {
    const owner = await signUp(c.url, "window");
    const projectId = await createProject(c.url, owner);
    const first = await open(c.url, { token: owner.token });
    await first.waitFor(isReady);
    const old = (await createTask(c.url, owner, projectId, "old")).body;
    const oldMessage = await first.waitFor(taskEvent("task.created", old.id));
    // With 5-entry stream nodes, 30 more events push "old" out of the ~10 retained.
    for (let batch = 0; batch < 3; batch += 1) {
      const writes = Array.from({ length: 10 }, (_, i) =>
        createTask(c.url, owner, projectId, `fill ${batch}.${i}`),
      );
      for (const reply of await Promise.all(writes)) expect(reply.status).toBe(201);
    }
    const last = (await createTask(c.url, owner, projectId, "last")).body;
    const lastMessage = await first.waitFor(taskEvent("task.created", last.id), 5000);
    first.close();

    const stale = await open(c.url, { token: owner.token, lastEventId: oldMessage.id });
    const resync = await stale.waitFor((m) => m.event === "resync");
    expect(payload(resync).reason).toBeString();

    const after = (await createTask(c.url, owner, projectId, "after")).body;
    const recent = await open(c.url, { token: owner.token, lastEventId: lastMessage.id });
    await recent.waitFor(taskEvent("task.created", after.id));
    expect(recent.messages.some((m) => m.event === "resync")).toBe(false);
  });

  test("heartbeat comments keep an idle stream alive", async () => {
    const user = await signUp(a.url, "idle");
    const stream = await open(b.url, { token: user.token });
    await stream.waitFor(isReady);
    const deadline = performance.now() + 3000;
    while (stream.comments.length === 0 && performance.now() < deadline) await Bun.sleep(50);
    expect(stream.comments.map((comment) => comment.text)).toContain("heartbeat");
  });

  test("a user removed from a project stops receiving its events; other projects keep flowing", async () => {
    const owner = await signUp(a.url, "boss");
    const member = await signUp(a.url, "leaver");
    const project = await createProject(a.url, owner, "Team");
    await addMember(a.url, owner, project, member);
    const stream = await open(b.url, { token: member.token });
    await stream.waitFor(isReady);
    const before = (await createTask(a.url, owner, project, "while a member")).body;
    await stream.waitFor(taskEvent("task.created", before.id));

    const removed = await call(a.url, "DELETE", `/api/projects/${project}/members/${member.id}`, {
      token: owner.token,
    });
    expect(removed.status).toBe(204);
    await stream.waitFor((m) => m.event === "member.removed" && payload(m).projectId === project);
    const hidden = (await createTask(a.url, owner, project, "after removal")).body;

    // A later event of a project they still belong to proves the stream is alive and ordered past `hidden`.
    const other = await createProject(a.url, owner, "Other");
    await addMember(a.url, owner, other, member);
    await stream.waitFor((m) => m.event === "member.added" && payload(m).projectId === other);
    const visible = (await createTask(a.url, owner, other, "still here")).body;
    await stream.waitFor(taskEvent("task.created", visible.id));
    expect(stream.messages.some((m) => m.data.includes(hidden.id))).toBe(false);
    expect(
      stream.messages
        .filter((m) => m.id !== undefined && payload(m).projectId === project)
        .map((m) => m.event),
    ).toEqual(["task.created", "member.removed"]);
  });

  test("a single-use ticket (issued by any replica) opens the stream; tokens in the URL and bad tickets are 401", async () => {
    const user = await signUp(a.url, "query");
    const ticket = await streamTicket(a.url, user);
    const viaTicket = await open(b.url, { ticket });
    expect(viaTicket.status).toBe(200);
    await viaTicket.waitFor(isReady);

    const again = await call(b.url, "GET", `/api/events?ticket=${ticket}`);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("unauthorized");
    const missing = await call(b.url, "GET", "/api/events");
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("unauthorized");
    expect((await call(b.url, "GET", "/api/events?ticket=not-a-ticket")).status).toBe(401);
    expect((await call(b.url, "GET", `/api/events?access_token=${user.token}`)).status).toBe(401);
    expect((await call(b.url, "POST", "/api/events/ticket")).status).toBe(401);
    const badHeader = await call(b.url, "GET", "/api/events", { token: "garbage" });
    expect(badHeader.status).toBe(401);
    const badResume = await call(b.url, "GET", "/api/events?lastEventId=yesterday", { token: user.token });
    expect(badResume.status).toBe(422);
    // Neither the ticket nor the token ever reaches a log line.
    for (const api of [a, b]) {
      expect(api.output()).not.toContain(ticket);
      expect(api.output()).not.toContain(user.token);
    }
  });

  test("non-members never receive another project's events", async () => {
    const mine = (await createTask(a.url, bystander, bystanderProject, "my own")).body;
    await bystanderStream.waitFor(taskEvent("task.created", mine.id));
    const events = bystanderStream.messages.filter((m) => m.id !== undefined && m.event !== "ready");
    const foreign = events.filter((m) => payload(m).projectId !== bystanderProject);
    expect(foreign).toEqual([]);
    // Everything above went through the same stream (A and B share it); only this one was theirs.
    expect(events.length).toBe(1);
  });
});

/** Resolves true once the server ended the stream, false if it is still open after timeoutMs. */
async function endsWithin(stream: SseClient, timeoutMs: number): Promise<boolean> {
  return Promise.race([stream.ended.then(() => true), Bun.sleep(timeoutMs).then(() => false)]);
}

describe("resuming: position and membership", () => {
  test("the ready event carries the stream position: a client that saw no event yet resumes from it", async () => {
    const owner = await signUp(a.url, "steady");
    const member = await signUp(a.url, "offline");
    const projectId = await createProject(a.url, owner, "Offline");
    await addMember(a.url, owner, projectId, member);
    const first = await open(b.url, { token: member.token });
    const ready = await first.waitFor(isReady);
    expect(ready.id).toMatch(/^\d+-\d+$/);
    first.close();
    await first.ended;

    const missed = (await createTask(a.url, owner, projectId, "while offline")).body;
    const resumed = await open(b.url, { token: member.token, lastEventId: ready.id });
    await resumed.waitFor(taskEvent("task.created", missed.id));
    expect(resumed.messages.some((m) => m.event === "resync")).toBe(false);
  });

  test("a removed member reconnecting with an old Last-Event-ID gets nothing of the project", async () => {
    const owner = await signUp(a.url, "remover");
    const member = await signUp(a.url, "removed");
    const ownerStream = await open(b.url, { token: owner.token });
    await ownerStream.waitFor(isReady);
    const projectId = await createProject(a.url, owner, "Closed");
    const created = await ownerStream.waitFor(
      (m) => m.event === "project.created" && payload(m).projectId === projectId,
    );
    await addMember(a.url, owner, projectId, member);
    const during = (await createTask(a.url, owner, projectId, "while a member")).body;
    const removed = await call(a.url, "DELETE", `/api/projects/${projectId}/members/${member.id}`, {
      token: owner.token,
    });
    expect(removed.status).toBe(204);
    const secret = (await createTask(a.url, owner, projectId, "after removal")).body;
    // An event of the member's own after the secret one: once it arrives, the replay got past `secret`.
    const own = await createProject(a.url, member, "Mine");
    const ownTask = (await createTask(a.url, member, own, "mine")).body;

    // The replay meets the member's old `member.added`: membership must still come from PostgreSQL.
    const replay = await open(b.url, { token: member.token, lastEventId: created.id });
    await replay.waitFor(taskEvent("task.created", ownTask.id));
    expect(replay.messages.some((m) => m.data.includes(secret.id) || m.data.includes(during.id))).toBe(false);
    expect(
      replay.messages.filter((m) => m.id && payload(m).projectId === projectId).map((m) => m.event),
    ).toEqual(["member.removed"]);
  });

  test("a new member cannot replay the project's history from before they joined", async () => {
    const owner = await signUp(a.url, "veteran");
    const newcomer = await signUp(a.url, "newcomer");
    const ownerStream = await open(b.url, { token: owner.token });
    await ownerStream.waitFor(isReady);
    const projectId = await createProject(a.url, owner, "History");
    const created = await ownerStream.waitFor(
      (m) => m.event === "project.created" && payload(m).projectId === projectId,
    );
    const history = (await createTask(a.url, owner, projectId, "before you joined")).body;
    await ownerStream.waitFor(taskEvent("task.created", history.id));
    await addMember(a.url, owner, projectId, newcomer);
    const welcome = (await createTask(a.url, owner, projectId, "after you joined")).body;

    const replay = await open(b.url, { token: newcomer.token, lastEventId: created.id });
    await replay.waitFor(taskEvent("task.created", welcome.id));
    expect(replay.messages.some((m) => m.data.includes(history.id))).toBe(false);
    expect(
      replay.messages.some((m) => m.event === "member.added" && payload(m).projectId === projectId),
    ).toBe(true);

    // "0-0" is not in the stream: the client must refetch, and gets no history either.
    const fromStart = await open(b.url, { token: newcomer.token, lastEventId: "0-0" });
    await fromStart.waitFor((m) => m.event === "resync");
    const live = (await createTask(a.url, owner, projectId, "live")).body;
    await fromStart.waitFor(taskEvent("task.created", live.id));
    expect(fromStart.messages.some((m) => m.data.includes(history.id))).toBe(false);
  });
});

describe("stream authorisation follows the token and the session", () => {
  test("a stream ends when its access token expires", async () => {
    const shortLived = await startApi({
      databaseUrl,
      redisUrl: redis.url,
      env: { RATE_LIMIT_AUTH_IP: "100000", SSE_HEARTBEAT_SECONDS: "1", ACCESS_TOKEN_TTL_SECONDS: "3" },
    });
    try {
      const user = await signUp(shortLived.url, "expiring");
      const issued = performance.now();
      const stream = await open(shortLived.url, { token: user.token });
      await stream.waitFor(isReady);
      expect(await endsWithin(stream, 6000)).toBe(true);
      // Not before the token expired (3 s, whole seconds: at least 2 s after it was issued).
      expect(performance.now() - issued).toBeGreaterThan(2000);
    } finally {
      await shortLived.stop();
    }
  });

  test("a stream ends when its session is signed out", async () => {
    const user = await signUp(a.url, "leaving");
    const stream = await open(b.url, { token: user.token });
    await stream.waitFor(isReady);
    expect((await call(a.url, "POST", "/api/auth/logout", { cookie: user.cookie })).status).toBe(204);
    expect(await endsWithin(stream, 8000)).toBe(true);
  });

  test("a password change ends the streams of the other sessions, not the changing one", async () => {
    const user = await signUp(a.url, "changer");
    const login = await call(a.url, "POST", "/api/auth/login", {
      body: { email: user.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const other = await open(b.url, { token: user.token });
    const current = await open(b.url, { token: login.body.accessToken });
    await Promise.all([other.waitFor(isReady), current.waitFor(isReady)]);
    const changed = await call(a.url, "POST", "/api/auth/password", {
      token: login.body.accessToken,
      body: { currentPassword: PASSWORD, newPassword: `${PASSWORD} changed` },
    });
    expect(changed.status).toBe(204);
    expect(await endsWithin(other, 8000)).toBe(true);
    expect(current.closed).toBe(false);
  });
});

describe("a Redis stall", () => {
  test("clients of every replica learn of events lost while Redis hung (resync)", async () => {
    const owner = await signUp(a.url, "stalled");
    const projectId = await createProject(a.url, owner, "Stall");
    const [onA, onB] = [await open(a.url, { token: owner.token }), await open(b.url, { token: owner.token })];
    await Promise.all([onA.waitFor(isReady), onB.waitFor(isReady)]);
    let lost: Reply;
    redis.pause();
    try {
      lost = await createTask(a.url, owner, projectId, "written while Redis hung");
    } finally {
      redis.resume();
    }
    expect(lost.status).toBe(201);
    const learned = (m: SseMessage) =>
      m.event === "resync" || (m.event === "task.created" && payload(m).task?.id === lost.body.id);
    await Promise.all([onA.waitFor(learned, 8000), onB.waitFor(learned, 8000)]);
  });
});

// Last: the restarted Redis is empty (sessions and the stream are gone).
describe("a Redis restart", () => {
  test("open streams get resync as soon as Redis answers again, even when nothing is being written", async () => {
    const user = await signUp(a.url, "quiet");
    const stream = await open(b.url, { token: user.token });
    await stream.waitFor(isReady);
    await redis.down();
    await eventually(
      async () => (await call(b.url, "GET", "/api/ready")).status === 503,
      "B sees Redis down",
    );
    await redis.up();
    await eventually(async () => (await call(b.url, "GET", "/api/ready")).status === 200, "B sees Redis up");
    // B's blocked read must fail with its connection (not be resent to the empty Redis), and a quiet
    // stream must not wait out a whole blocking read (5 s) before its clients learn of the gap.
    await stream.waitFor((m) => m.event === "resync", 4000);
  });
});

function compareIds(x: string, y: string): number {
  const [xm = 0, xs = 0] = x.split("-").map(Number);
  const [ym = 0, ys = 0] = y.split("-").map(Number);
  return xm - ym || xs - ys;
}
