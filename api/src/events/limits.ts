// Caps on open event streams. Each stream holds a socket (a file descriptor) for as long as it lasts:
// without a cap, one signed-in user could open streams until the process runs out of descriptors, and a
// process that cannot accept connections answers nothing at all, health checks included. So:
// - per process, at most what the descriptor limit allows with headroom left for everything else
//   (other requests, PostgreSQL and Redis connections, files): 503 beyond it;
// - per user, SSE_STREAMS_PER_USER across every replica (Redis slots that a heartbeat renews): 429.
// Refusals close their connection, so a refused client does not keep a descriptor either.
import { readFileSync } from "node:fs";
import { ApiError } from "../http/errors.ts";
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";

/** Where no descriptor limit can be read (not Linux): a cap still applies. */
const UNKNOWN_LIMIT_CAP = 10_000;
/** Descriptors kept for everything else: a fifth of the limit, at least this many. */
const MIN_HEADROOM = 128;
/** Suggested waits: a user's other tabs may close any moment; a full process needs a while. */
const USER_RETRY_SECONDS = 10;
const PROCESS_RETRY_SECONDS = 5;

/** The soft RLIMIT_NOFILE of this process (Bun raises it to the hard limit at start), from /proc. */
export function fileDescriptorLimit(limits?: string): number | undefined {
  let text = limits;
  try {
    text ??= readFileSync("/proc/self/limits", "utf8");
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
  return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
}

/** How many streams fit under a descriptor limit, with headroom; `configured` may only lower it. */
export function processStreamCap(nofile: number | undefined, configured?: number): number {
  const derived =
    nofile === undefined
      ? UNKNOWN_LIMIT_CAP
      : Math.max(0, nofile - Math.max(MIN_HEADROOM, Math.ceil(nofile / 5)));
  return configured === undefined ? derived : Math.min(configured, derived);
}

export interface StreamSlot {
  /** Keeps the user's slot alive: called by the heartbeat, batched (renewSlots). */
  readonly key: string;
  readonly id: string;
  release(): void;
}

const userSlotsKey = (userId: string) => `sse-streams:${userId}`;

const refuse = (status: 429 | 503, message: string, retryAfter: number) =>
  new ApiError(status, status === 429 ? "too_many_streams" : "streams_unavailable", message, undefined, {
    "Retry-After": String(retryAfter),
    Connection: "close",
  });

export function createStreamLimits(options: {
  store: Store;
  metrics: Metrics;
  perUser: number;
  perProcess: number;
  /** How long a slot lives without renewal: a few heartbeats. */
  slotTtlSeconds: number;
}) {
  const { store, metrics, perUser, perProcess, slotTtlSeconds } = options;
  let open = 0;
  metrics.sseStreamsMax.set(perProcess);

  return {
    perProcess,
    slotTtlSeconds,
    /** Counts the stream against both caps, or throws the 503/429 to answer with. */
    async admit(userId: string): Promise<StreamSlot> {
      // Counted before anything is awaited: concurrent requests can never overshoot the process cap.
      if (open >= perProcess) {
        metrics.sseRejected.inc({ reason: "process" });
        throw refuse(
          503,
          "this server has no room for another event stream; retry shortly",
          PROCESS_RETRY_SECONDS,
        );
      }
      open += 1;
      const key = userSlotsKey(userId);
      const id = crypto.randomUUID();
      // Unreachable Redis: admitted (the process cap still holds); the stream itself copes with it.
      const claimed = await store.claimSlot(key, id, perUser, slotTtlSeconds).catch(() => true);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        open -= 1;
        void store.releaseSlot(key, id).catch(() => {});
      };
      if (!claimed) {
        released = true;
        open -= 1;
        metrics.sseRejected.inc({ reason: "user" });
        throw refuse(
          429,
          `at most ${perUser} event streams per account are open at once; close another tab or window`,
          USER_RETRY_SECONDS,
        );
      }
      return { key, id, release };
    },
  };
}

export type StreamLimits = ReturnType<typeof createStreamLimits>;
