// Live updates at scale (issue 23): one API process (pinned to CPU 0 where taskset exists; this client
// to CPU 1) with 1k/5k/10k/… open event streams on one shared project. Measures, per stream count:
// - one event: p95 from the POST leaving to each stream receiving it (5 events, one at a time);
// - a burst of BURST_EVENTS at 10/s (open loop: sent on schedule whatever the API does), p95 delivery
//   counted from each event's scheduled time, and how long after the last send the last delivery came;
// - p95 of ordinary requests (task list, 20/s) during the burst, and of the burst's own POSTs;
// - RSS before, with the streams idle (per stream), and 10 s after every client closed.
// Each count gets a fresh API process, so RSS starts from the same point.
//
//   bun bench/sse.ts                       1000,5000,10000 streams, this checkout
//   bun bench/sse.ts --streams 20000       needs `ulimit -n` above the count, here and for the API
//   bun bench/sse.ts --entry ../main/api/src/main.ts --label before   another checkout (before/after)
//   bun bench/sse.ts --smoke               200 streams, a few events: CI, so the script cannot rot
//   bun bench/sse.ts --keep-logs           the API logs at debug level (each fan-out pass timed), kept
//
// Benchmark-only settings: SSE_STREAMS_PER_USER is lifted (10 users hold every stream), rate limits
// lifted as in run.ts (benchApiEnv).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Socket } from "bun";
import { SQL } from "bun";
import { createDatabase, startPostgres, startRedis } from "../api/test/support/services.ts";
import { type ApiProcess, repoRoot, startApiProcess } from "./lib/api-binary.ts";
import type { WriterCommand, WriterReply, WriterSetup } from "./lib/sse-writer.ts";

const { values: args } = parseArgs({
  options: {
    streams: { type: "string" },
    entry: { type: "string" },
    label: { type: "string" },
    smoke: { type: "boolean", default: false },
    // Keeps the API logs (LOG_LEVEL=debug: one line per fan-out pass with its duration) and prints where.
    "keep-logs": { type: "boolean", default: false },
  },
});
const smoke = args.smoke ?? false;
const counts = (args.streams ?? (smoke ? "200" : "1000,5000,10000")).split(",").map(Number);
const entry = args.entry ?? join(repoRoot, "api/src/main.ts");
const label = args.label ?? "this checkout";
const SINGLE_EVENTS = smoke ? 2 : 5;
const BURST_EVENTS = smoke ? 5 : 20;
const BURST_INTERVAL_MS = 100;
const USERS = 10;
const OPEN_CONCURRENCY = 250;

let nextEvent = 0;
const log = (message: string) => process.stderr.write(`[sse-bench] ${message}\n`);
const p95 = (values: number[]) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] as number;
};
const rssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]) / 1024;
};

// Pinning: the API on CPU 0, this client on CPU 1 (a 2-core machine has nothing else to give).
const pin = Bun.which("taskset") !== null && cpus().length >= 2;
if (pin) Bun.spawnSync(["taskset", "-cp", "1", String(process.pid)], { stdout: "ignore" });

/** Events per run at most (single + burst, every stream count). */
const MAX_EVENTS = 1024;
/** Absolute send time of event k (its title carries "sse-bench-k."), written by the writer thread. */
const sentAtBuffer = new SharedArrayBuffer(MAX_EVENTS * 8);
const sentAt = new Float64Array(sentAtBuffer);
/** Delivery latencies of event k, one per stream that received it. */
const latencies: number[][] = [];
const MARKER = Buffer.from("sse-bench-");
const now = () => performance.timeOrigin + performance.now();

interface Client {
  socket: Socket<undefined>;
  ready: Promise<void>;
}

/** A raw HTTP/1.1 event stream; each chunk is searched natively for event markers (cheap per stream). */
function openStream(port: number, token: string): Promise<Client> {
  // Concurrent POSTs may publish out of their numbering order: remember each event seen.
  const seen = new Set<number>();
  let answered = false;
  let opened = false;
  let markReady: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  return Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        socket.write(
          `GET /api/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`,
        );
      },
      data(_socket, data) {
        const at = now();
        if (!opened) {
          const text = data.toString("latin1");
          if (!answered && !text.startsWith("HTTP/1.1 200"))
            fail(new Error(`stream refused: ${text.slice(0, 300)}`));
          answered = true;
          if (text.includes("event: ready")) {
            opened = true;
            markReady();
          }
        }
        for (let found = data.indexOf(MARKER); found >= 0; found = data.indexOf(MARKER, found + 1)) {
          let k = 0;
          let i = found + MARKER.length;
          for (; i < data.length && (data[i] as number) >= 48 && (data[i] as number) <= 57; i++)
            k = k * 10 + (data[i] as number) - 48;
          if (data[i] !== 46 || seen.has(k)) continue;
          seen.add(k);
          latencies[k]?.push(at - (sentAt[k] as number));
        }
      },
      close() {
        fail(new Error("stream closed"));
      },
      error(_socket, error) {
        fail(error);
      },
    },
  }).then((socket) => ({ socket, ready }));
}

async function json(url: string, init: RequestInit & { token?: string; body?: string } = {}) {
  const response = await fetch(url, {
    ...init,
    headers: {
      "content-type": "application/json",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(`${init.method ?? "GET"} ${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

interface Row {
  streams: number;
  oneEventP95: number;
  burstP95: number;
  burstLagMs: number;
  delivered: string;
  requestP95: number;
  postP95: number;
  rssStart: number;
  rssIdle: number;
  kbPerStream: number;
  rssAfterClose: number;
  /** The 1-minute load average when the row was done: the machine is shared. */
  load: number;
}

async function measure(api: ApiProcess, databaseUrl: string, n: number): Promise<Row> {
  // 10 users, all members of one project (inserted directly: sign-up is argon2, invitations take mail).
  const users: { id: string; token: string }[] = [];
  for (let i = 0; i < USERS; i++) {
    const body = await json(`${api.url}/api/auth/register`, {
      method: "POST",
      body: JSON.stringify({
        email: `sse-${n}-${i}-${crypto.randomUUID().slice(0, 6)}@bench.test`,
        password: "a sturdy passphrase 42",
        name: `u${i}`,
      }),
    });
    users.push({ id: (body.user as { id: string }).id, token: body.accessToken as string });
  }
  const owner = users[0] as { id: string; token: string };
  const project = await json(`${api.url}/api/projects`, {
    method: "POST",
    token: owner.token,
    body: JSON.stringify({ name: `SSE ${n}` }),
  });
  const projectId = project.id as string;
  const db = new SQL(databaseUrl, { max: 1 });
  for (const user of users.slice(1))
    await db`INSERT INTO project_members (project_id, user_id, role) VALUES (${projectId}, ${user.id}, 'editor')`;
  await db.close();

  await Bun.sleep(1000);
  const rssStart = rssMb(api.pid);
  const clients: Client[] = [];
  const openedAt = performance.now();
  for (let i = 0; i < n; i += OPEN_CONCURRENCY) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(OPEN_CONCURRENCY, n - i) }, (_, j) =>
        openStream(api.port, (users[(i + j) % USERS] as { token: string }).token),
      ),
    );
    await Promise.all(batch.map((client) => client.ready));
    clients.push(...batch);
  }
  log(`${n} streams open in ${((performance.now() - openedAt) / 1000).toFixed(1)} s`);
  await Bun.sleep(smoke ? 500 : 5000);
  const rssIdle = rssMb(api.pid);

  const writer = new Worker(new URL("./lib/sse-writer.ts", import.meta.url).href);
  writer.postMessage({
    url: api.url,
    token: owner.token,
    projectId,
    sentAt: sentAtBuffer,
  } satisfies WriterSetup);
  const ask = (command: WriterCommand) =>
    new Promise<WriterReply>((resolve) => {
      writer.onmessage = (message: MessageEvent<WriterReply>) => resolve(message.data);
      writer.postMessage(command);
    });
  const delivered = (index: number) => (latencies[index]?.length ?? 0) >= n;
  const until = async (done: () => boolean, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (!done() && performance.now() < deadline) await Bun.sleep(5);
  };

  // One event at a time.
  const single: number[] = [];
  for (let e = 0; e < SINGLE_EVENTS; e++, nextEvent++) {
    const k = nextEvent;
    latencies[k] = [];
    await ask({ type: "single", k });
    await until(() => delivered(k), 30_000);
    single.push(...(latencies[k] ?? []));
    await Bun.sleep(200);
  }

  // The burst, open loop, with ordinary requests alongside (both from the writer thread).
  const first = nextEvent;
  for (let e = 0; e < BURST_EVENTS; e++) latencies[first + e] = [];
  nextEvent += BURST_EVENTS;
  await ask({ type: "burst", first, count: BURST_EVENTS, intervalMs: BURST_INTERVAL_MS });
  await until(() => latencies.slice(first, nextEvent).every((_, e) => delivered(first + e)), 60_000);
  const lastSend = (sentAt[first] as number) + (BURST_EVENTS - 1) * BURST_INTERVAL_MS;
  const lastDelivery = Math.max(
    ...latencies
      .slice(first, nextEvent)
      .flatMap((values, e) => values.map((v) => v + (sentAt[first + e] as number))),
  );
  const stopped = (await ask({ type: "stop" })) as Extract<WriterReply, { type: "stopped" }>;
  writer.terminate();
  const burst = latencies.slice(first, nextEvent).flat();
  const expected = n * BURST_EVENTS;

  for (const client of clients) client.socket.end();
  await Bun.sleep(smoke ? 1000 : 10_000);
  const rssAfterClose = rssMb(api.pid);
  return {
    streams: n,
    oneEventP95: p95(single),
    burstP95: p95(burst),
    burstLagMs: lastDelivery - lastSend,
    delivered: `${burst.length}/${expected}`,
    requestP95: p95(stopped.requestMs),
    postP95: p95(stopped.postMs),
    rssStart,
    rssIdle,
    kbPerStream: ((rssIdle - rssStart) * 1024) / n,
    rssAfterClose,
    load: loadavg()[0] as number,
  };
}

function table(rows: Row[]): string {
  const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : "—");
  const mb = (value: number) => `${value.toFixed(0)} MB`;
  const line = (name: string, cells: string[]) => `| ${name} | ${cells.join(" | ")} |`;
  return [
    line(
      "open streams",
      rows.map((r) => r.streams.toLocaleString("en-US")),
    ),
    `|---|${rows.map(() => "---").join("|")}|`,
    line(
      "one event, p95 delivery (target ≤ 100 ms)",
      rows.map((r) => ms(r.oneEventP95)),
    ),
    line(
      `burst ${BURST_EVENTS} at 10/s, p95 delivery (≤ 250 ms)`,
      rows.map((r) => `${ms(r.burstP95)} (${r.delivered})`),
    ),
    line(
      "burst: last delivery after the last send",
      rows.map((r) => ms(r.burstLagMs)),
    ),
    line(
      "task list during the burst, p95 (≤ 50 ms)",
      rows.map((r) => ms(r.requestP95)),
    ),
    line(
      "the burst's POSTs, p95",
      rows.map((r) => ms(r.postP95)),
    ),
    line(
      "RSS at start",
      rows.map((r) => mb(r.rssStart)),
    ),
    line(
      "RSS idle with the streams (≤ 10 KB/stream)",
      rows.map((r) => `${mb(r.rssIdle)} (${r.kbPerStream.toFixed(1)} KB/stream)`),
    ),
    line(
      "RSS 10 s after all clients closed (≤ start + 20 %)",
      rows.map((r) => `${mb(r.rssAfterClose)} (${((r.rssAfterClose / r.rssStart - 1) * 100).toFixed(0)} %)`),
    ),
    line(
      "load average (1 min) at the end of the row, 2 cores",
      rows.map((r) => r.load.toFixed(1)),
    ),
  ].join("\n");
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "sse-bench-"));
  const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const rows: Row[] = [];
  try {
    for (const n of counts) {
      const databaseUrl = await createDatabase(pg.url, "sse_bench");
      const api = await startApiProcess({
        command: [...(pin ? ["taskset", "-c", "0"] : []), process.execPath, entry],
        databaseUrl,
        redisUrl: redis.url,
        logFile: join(work, `api-${n}.log`),
        env: { SSE_STREAMS_PER_USER: "1000000", ...(args["keep-logs"] ? { LOG_LEVEL: "debug" } : {}) },
      });
      try {
        rows.push(await measure(api, databaseUrl, n));
        log(table(rows));
      } finally {
        await api.stop();
      }
    }
  } finally {
    await Promise.all([pg.stop(), redis.stop()]);
    if (args["keep-logs"]) log(`API logs kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  const load = loadavg();
  process.stdout.write(
    `SSE benchmark (${label}; API ${pin ? "pinned to CPU 0, client CPU 1" : "not pinned"}; ` +
      `load average at the end ${load.map((v) => v.toFixed(1)).join(" ")} on ${cpus().length} cores)\n\n${table(rows)}\n`,
  );
}

await main();
