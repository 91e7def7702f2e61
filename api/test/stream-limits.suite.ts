// The caps on open event streams, on real API processes: per user across two replicas (429), per
// process under a low file-descriptor limit (503), and every other route answering fast throughout.
// CI: .ci/suites "api processes".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { type RunningApi, startApi } from "./support/api-process.ts";
import {
  eventually,
  openEvents,
  type SseClient,
  sample,
  scrape,
  signUp,
  type User,
} from "./support/client.ts";
import {
  createDatabase,
  type RestartableService,
  type RunningService,
  startPostgres,
  startRedis,
} from "./support/services.ts";

setDefaultTimeout(60_000);

/** The descriptor limit of the capped process, and the cap it derives from it (limits.ts: 20 %, ≥ 128 kept). */
const NOFILE = 256;
const PROCESS_CAP = NOFILE - 128;
/** What "answers fast" means on a loaded CI machine. */
const FAST_MS = 1000;

let pg: RestartableService;
let redis: RunningService;
let a: RunningApi;
let b: RunningApi;
let capped: RunningApi;
const streams: SseClient[] = [];

const open = async (...args: Parameters<typeof openEvents>) => {
  const stream = await openEvents(...args);
  streams.push(stream);
  return stream;
};

/** A refused stream: status, headers and the JSON error. */
async function refused(base: string, user: User) {
  const response = await fetch(`${base}/api/events`, {
    headers: { authorization: `Bearer ${user.token}`, accept: "text/event-stream" },
  });
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, headers: response.headers, body };
}

async function healthMs(base: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return performance.now() - started;
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const databaseUrl = await createDatabase(pg.url);
  const env = { RATE_LIMIT_AUTH_IP: "100000", RATE_LIMIT_USER: "100000", SSE_HEARTBEAT_SECONDS: "1" };
  a = await startApi({ databaseUrl, redisUrl: redis.url, env: { ...env, SSE_STREAMS_PER_USER: "3" } });
  [b, capped] = await Promise.all([
    startApi({ databaseUrl, redisUrl: redis.url, env: { ...env, SSE_STREAMS_PER_USER: "3" } }),
    startApi({
      databaseUrl,
      redisUrl: redis.url,
      env: { ...env, SSE_STREAMS_PER_USER: "1000" },
      launcher: ["prlimit", `--nofile=${NOFILE}:${NOFILE}`, "--"],
    }),
  ]);
}, 90_000);

afterAll(async () => {
  for (const stream of streams) stream.close();
  await Promise.all([a, b, capped].map((api) => api?.stop()));
  await Promise.all([pg?.stop(), redis?.stop()]);
});

describe("per user", () => {
  test("a user's streams are capped across replicas (429 + Retry-After); others and other routes are not", async () => {
    const ada = await signUp(a.url, "ada");
    const bob = await signUp(a.url, "bob");
    const adas = [await open(a.url, { token: ada.token }), await open(b.url, { token: ada.token })];
    adas.push(await open(a.url, { token: ada.token }));
    for (const stream of adas) await stream.waitFor((m) => m.event === "ready");

    for (const api of [a, b]) {
      const answer = await refused(api.url, ada);
      expect(answer.status).toBe(429);
      expect(answer.body.error.code).toBe("too_many_streams");
      expect(answer.body.error.message).toContain("at most 3 event streams");
      expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(answer.headers.get("connection")).toBe("close");
    }
    const bobs = await open(b.url, { token: bob.token });
    await bobs.waitFor((m) => m.event === "ready");
    expect(await healthMs(a.url)).toBeLessThan(FAST_MS);
    const projects = await fetch(`${a.url}/api/projects`, {
      headers: { authorization: `Bearer ${ada.token}` },
    });
    expect(projects.status).toBe(200);
    expect(sample(await scrape(a.url), 'sse_rejected_total{reason="user"}')).toBeGreaterThanOrEqual(1);

    // A closed stream gives its slot back, on whichever replica it was.
    adas[1]?.close();
    await eventually(async () => {
      const again = await openEvents(a.url, { token: ada.token });
      streams.push(again);
      return again.status === 200;
    }, "a slot freed by a closed stream");
  });
});

describe("per process, under a low file-descriptor limit", () => {
  test(`the cap follows the limit (${NOFILE} → ${PROCESS_CAP}); beyond it 503 + Retry-After, health answers fast throughout`, async () => {
    expect(sample(await scrape(capped.url), "sse_streams_max")).toBe(PROCESS_CAP);
    const users = await Promise.all(Array.from({ length: 4 }, (_, i) => signUp(capped.url, `many${i}`)));
    const slowest: number[] = [];
    const statuses: number[] = [];
    // 40 streams past the cap, in waves, checking health between waves.
    for (let wave = 0; wave < 6; wave++) {
      const opened = await Promise.all(
        Array.from({ length: 28 }, (_, i) => open(capped.url, { token: users[i % users.length]?.token })),
      );
      statuses.push(...opened.map((stream) => stream.status));
      slowest.push(await healthMs(capped.url));
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(PROCESS_CAP);
    expect(statuses.filter((status) => status === 503)).toHaveLength(6 * 28 - PROCESS_CAP);
    expect(Math.max(...slowest)).toBeLessThan(FAST_MS);
    const full = await refused(capped.url, users[0] as User);
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe("streams_unavailable");
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThan(0);
    const samples = await scrape(capped.url);
    expect(sample(samples, "sse_clients")).toBe(PROCESS_CAP);
    expect(sample(samples, 'sse_rejected_total{reason="process"}')).toBeGreaterThanOrEqual(
      6 * 28 - PROCESS_CAP,
    );
  });

  test("running out of descriptors altogether (raw connections) does not stop it serving once they go", async () => {
    const sockets: Socket[] = [];
    // More connections than descriptors left: the kernel queues what the process cannot accept.
    await Promise.all(
      Array.from(
        { length: NOFILE },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect(capped.port, "127.0.0.1", () => resolve());
            socket.on("error", () => resolve());
            sockets.push(socket);
          }),
      ),
    );
    for (const socket of sockets) socket.destroy();
    for (const stream of streams) stream.close();
    await eventually(async () => (await healthMs(capped.url)) < FAST_MS, "health answering again");
    await eventually(async () => sample(await scrape(capped.url), "sse_clients") === 0, "streams all closed");
    const again = await open(capped.url, { token: (await signUp(capped.url, "after")).token });
    expect(again.status).toBe(200);
    await again.waitFor((m) => m.event === "ready");
  });
});
