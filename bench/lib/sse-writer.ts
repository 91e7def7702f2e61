// The writing side of bench/sse.ts, in a worker thread: the POSTs that cause events (on schedule,
// open loop) and the ordinary requests timed during a burst. Kept off the thread that reads thousands
// of streams, so a busy reader delays neither the sends nor the timing of the requests.
declare const self: Worker;

export interface WriterSetup {
  url: string;
  token: string;
  projectId: string;
  /** Absolute send time (performance.timeOrigin + now, ms) of event k, shared with the reader. */
  sentAt: SharedArrayBuffer;
}
export type WriterCommand =
  | { type: "single"; k: number }
  | { type: "burst"; first: number; count: number; intervalMs: number }
  | { type: "stop" };
export type WriterReply =
  | { type: "posted" }
  | { type: "burst-sent" }
  | { type: "stopped"; requestMs: number[]; postMs: number[] };

let setup: WriterSetup;
let sentAt: Float64Array;
let bursting = false;
let requestMs: number[] = [];
let postMs: number[] = [];
let ordinary: Promise<void> = Promise.resolve();
const now = () => performance.timeOrigin + performance.now();

const post = (k: number) =>
  fetch(`${setup.url}/api/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${setup.token}` },
    body: JSON.stringify({ projectId: setup.projectId, title: `sse-bench-${k}.` }),
  }).then(async (response) => {
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`POST /api/tasks: ${response.status}`);
  });

async function ordinaryRequests() {
  while (bursting) {
    const started = now();
    const response = await fetch(`${setup.url}/api/tasks?projectId=${setup.projectId}`, {
      headers: { authorization: `Bearer ${setup.token}`, "accept-encoding": "gzip" },
    });
    await response.arrayBuffer();
    requestMs.push(now() - started);
    await Bun.sleep(Math.max(0, 50 - (now() - started)));
  }
}

self.onmessage = async (message: MessageEvent<WriterSetup | WriterCommand>) => {
  const data = message.data;
  if ("sentAt" in data) {
    setup = data;
    sentAt = new Float64Array(data.sentAt);
    return;
  }
  if (data.type === "single") {
    sentAt[data.k] = now();
    await post(data.k);
    postMessage({ type: "posted" } satisfies WriterReply);
  } else if (data.type === "burst") {
    requestMs = [];
    postMs = [];
    bursting = true;
    ordinary = ordinaryRequests();
    const start = now();
    const sends: Promise<void>[] = [];
    for (let e = 0; e < data.count; e++) {
      const scheduled = start + e * data.intervalMs;
      await Bun.sleep(Math.max(0, scheduled - now()));
      sentAt[data.first + e] = scheduled;
      sends.push(post(data.first + e).then(() => void postMs.push(now() - scheduled)));
    }
    await Promise.all(sends);
    postMessage({ type: "burst-sent" } satisfies WriterReply);
  } else {
    bursting = false;
    await ordinary;
    postMessage({ type: "stopped", requestMs, postMs } satisfies WriterReply);
  }
};
