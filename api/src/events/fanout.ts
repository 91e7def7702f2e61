// Delivers the shared event stream to this process's SSE clients with work per event, not per stream:
// each event is parsed and encoded once and the same bytes are written to every recipient, found
// through an index of streams by project and by user. There are no timers or promises per stream: one
// tick per process ends expired streams, checks sessions (one Redis round trip for all), sends the
// heartbeats, renews the per-user slots (one round trip) and re-reads memberships (one query for all
// users). Writing to many streams runs in slices that yield to the event loop, so requests (the
// writer's own included) are answered between slices instead of waiting for the whole fan-out.
import { endedSessions } from "../auth/sessions.ts";
import type { Sql } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Store, StoredEvent } from "../store/store.ts";
import type { EventHub } from "./hub.ts";
import type { StreamSlot } from "./limits.ts";
import { isGapMarker } from "./publisher.ts";
import { type Memberships, membershipsOf } from "./repository.ts";
import type { StoredDomainEvent, StreamResync } from "./types.ts";

const MEMBERSHIP_RECHECK_MS = 30_000;
/** How soon a stream ends after its session was signed out (or revoked by a password change). */
const SESSION_RECHECK_MS = 5_000;
const TICK_MS = 1000;
/** The longest stretch of writing before the event loop gets a turn. */
const SLICE_MS = 2;
/** Users per membership query. */
const MEMBERSHIP_BATCH = 1000;
/** Streams opened or closed since the last collection that make another one worth asking for. */
const COLLECT_AFTER_CHURN = 1000;
const COLLECT_EVERY_MS = 10_000;

/** The part of Bun's direct stream controller a stream writes through (no promise per write). */
export interface Sink {
  write(chunk: Uint8Array): unknown;
  flush(): unknown;
  close(): unknown;
}

/** One event as read from the stream: parsed and encoded once, for every recipient. */
interface SharedEvent {
  id: string;
  ms: number;
  seq: number;
  data: StoredDomainEvent;
  bytes: Uint8Array;
}

/** The shared stream was unreachable: events are lost, every client resyncs. */
const GAP = Symbol("gap");
const HEARTBEAT = Symbol("heartbeat");
type Work = SharedEvent | typeof GAP | typeof HEARTBEAT;

const encoder = new TextEncoder();

/** One SSE message; `data` is JSON (never a raw line break, so one data line). */
export function encodeMessage(message: { event: string; data: string; id?: string; retry?: number }) {
  return encoder.encode(
    `${message.id === undefined ? "" : `id: ${message.id}\n`}event: ${message.event}\n` +
      `${message.retry === undefined ? "" : `retry: ${message.retry}\n`}data: ${message.data}\n\n`,
  );
}

export const resyncMessage = (reason: string) =>
  encodeMessage({ event: "resync", data: JSON.stringify({ reason } satisfies StreamResync) });
const INTERRUPTED = resyncMessage("live updates were interrupted");
const HEARTBEAT_BYTES = encoder.encode(": heartbeat\n\n");

const parseId = (id: string): [number, number] => {
  const dash = id.indexOf("-");
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
};

export class LiveStream {
  memberships: Memberships = new Map();
  lastMs = 0;
  lastSeq = 0;
  /** Everything that arrives while the stream is being set up, delivered (deduplicated) at its start. */
  backlog: (SharedEvent | typeof GAP)[] | undefined = [];
  sink: Sink | undefined;
  closed = false;
  readonly ended: Promise<void>;
  finish!: () => void;

  constructor(
    readonly userId: string,
    readonly sessionId: string,
    /** When the access token the stream was opened with expires (ms). */
    readonly expiresAt: number,
    readonly slot: StreamSlot,
  ) {
    this.ended = new Promise((resolve) => {
      this.finish = resolve;
    });
  }
}

export interface StreamStart {
  /** Written first: `ready`, and `resync` when the replay is incomplete. */
  opening: Uint8Array[];
  /** The position the client has seen up to. */
  lastSent: string;
  memberships: Memberships;
  /** Events to replay (each still filtered by membership). */
  replay: StoredEvent[];
}

export function createFanout(options: {
  hub: EventHub;
  sql: Sql;
  store: Store;
  log: Logger;
  metrics: Metrics;
  heartbeatSeconds: number;
  slotTtlSeconds: number;
}) {
  const { hub, sql, store, log, metrics } = options;
  const streams = new Set<LiveStream>();
  const starting = new Set<LiveStream>();
  const byUser = new Map<string, Set<LiveStream>>();
  const byProject = new Map<string, Set<LiveStream>>();
  const queue: Work[] = [];
  let pumping = false;
  let following: (() => void)[] | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let nextHeartbeat = 0;
  let nextSessionCheck = 0;
  let nextRecheck = 0;
  let checkingSessions = false;
  let churn = 0;

  let lastCollection = 0;

  // Opening a stream leaves garbage (the request's middleware, JWT, SQL) and closing one frees its
  // objects, but JSC collects when allocation asks for it, not when a process goes quiet: after 10,000
  // streams closed the process kept its peak RSS (~3× its start, bench/sse.ts). After a wave of opens
  // or closes, one full collection (40–100 ms at 10,000 streams; at most every COLLECT_EVERY_MS) gives it
  // back.
  const collectAfterChurn = (quiet = false) => {
    const now = Date.now();
    if (churn < COLLECT_AFTER_CHURN || (!quiet && now - lastCollection < COLLECT_EVERY_MS)) return;
    churn = 0;
    lastCollection = now;
    const started = performance.now();
    Bun.gc(true);
    log.debug("collected after stream churn", {
      ms: Math.round(performance.now() - started),
      rssMb: Math.round(process.memoryUsage.rss() / 1e6),
    });
  };

  const addTo = <K>(index: Map<K, Set<LiveStream>>, key: K, stream: LiveStream) => {
    const set = index.get(key);
    if (set) set.add(stream);
    else index.set(key, new Set([stream]));
  };
  const removeFrom = <K>(index: Map<K, Set<LiveStream>>, key: K, stream: LiveStream) => {
    const set = index.get(key);
    if (set?.delete(stream) && set.size === 0) index.delete(key);
  };

  const join = (stream: LiveStream, projectId: string, joinedMs: number) => {
    stream.memberships.set(projectId, joinedMs);
    addTo(byProject, projectId, stream);
  };
  const leave = (stream: LiveStream, projectId: string) => {
    stream.memberships.delete(projectId);
    removeFrom(byProject, projectId, stream);
  };
  const setMemberships = (stream: LiveStream, fresh: Memberships) => {
    for (const projectId of stream.memberships.keys())
      if (!fresh.has(projectId)) removeFrom(byProject, projectId, stream);
    stream.memberships = new Map(fresh);
    for (const projectId of fresh.keys()) addTo(byProject, projectId, stream);
  };

  /** Re-reads the memberships of these users' running streams: one query per MEMBERSHIP_BATCH users. */
  const refreshMemberships = async (userIds: string[]) => {
    for (let i = 0; i < userIds.length; i += MEMBERSHIP_BATCH) {
      const batch = await membershipsOf(sql, userIds.slice(i, i + MEMBERSHIP_BATCH)).catch(() => undefined);
      for (const [userId, fresh] of batch ?? [])
        for (const stream of byUser.get(userId) ?? []) if (!stream.backlog) setMemberships(stream, fresh);
    }
  };

  /** Buffers bytes for the stream; flush() sends what was buffered (one write to the socket). */
  const put = (stream: LiveStream, bytes: Uint8Array) => {
    try {
      stream.sink?.write(bytes);
    } catch {
      close(stream);
    }
  };
  const flush = (stream: LiveStream) => {
    try {
      stream.sink?.flush();
    } catch {
      close(stream);
    }
  };

  /** Buffers the event if it is the stream's (the caller flushes); `live` events may also change the stream's projects. */
  const deliver = (stream: LiveStream, event: SharedEvent, live: boolean) => {
    if (event.ms < stream.lastMs || (event.ms === stream.lastMs && event.seq <= stream.lastSeq)) return;
    stream.lastMs = event.ms;
    stream.lastSeq = event.seq;
    const data = event.data;
    if (isGapMarker(data)) {
      put(stream, event.bytes);
      void refreshMemberships([stream.userId]);
      return;
    }
    // A user's own events (their inbox) go to every connection of theirs, whatever the projects.
    if (data.recipientId !== undefined) {
      if (data.recipientId === stream.userId) put(stream, event.bytes);
      return;
    }
    const aboutMe = "member" in data && data.member.userId === stream.userId;
    const removesMe = (data.type === "member.removed" && aboutMe) || data.type === "project.deleted";
    // A live join is current (replayed ones may be long outdated): follow it at once. A project
    // someone creates (or imports) has them as its owner from the start.
    if (
      live &&
      !stream.memberships.has(data.projectId) &&
      ((data.type === "member.added" && aboutMe) ||
        (data.type === "project.created" && data.actorId === stream.userId))
    )
      join(stream, data.projectId, event.ms);
    const joined = stream.memberships.get(data.projectId);
    // Being removed is news to the removed user even when it is replayed after they left.
    const mine = joined !== undefined && event.ms >= joined;
    if (!mine && !(data.type === "member.removed" && aboutMe)) return;
    put(stream, event.bytes);
    if (live && removesMe) leave(stream, data.projectId);
  };

  /** The streams a piece of work may concern (each still decides in deliver()). */
  const recipients = (work: Work): Iterable<LiveStream> => {
    if (work === GAP || work === HEARTBEAT || isGapMarker(work.data)) return streams;
    const data = work.data;
    if (data.recipientId !== undefined) return byUser.get(data.recipientId) ?? [];
    const members = byProject.get(data.projectId) ?? [];
    const newcomer =
      "member" in data ? data.member.userId : data.type === "project.created" ? data.actorId : undefined;
    const also = newcomer === undefined ? undefined : byUser.get(newcomer);
    return also ? new Set([...members, ...also]) : members;
  };

  /** A snapshot (the indexes change while a delivery yields) of the streams a batch concerns. */
  const recipientsOfBatch = (batch: Work[]): LiveStream[] => {
    if (batch.length === 1) return [...recipients(batch[0] as Work)];
    const union = new Set<LiveStream>();
    for (const work of batch) {
      const targets = recipients(work);
      if (targets === streams) return [...streams];
      for (const stream of targets) union.add(stream);
    }
    return [...union];
  };

  const apply = (stream: LiveStream, work: Work) => {
    if (work === HEARTBEAT) put(stream, HEARTBEAT_BYTES);
    else if (work === GAP) put(stream, INTERRUPTED);
    else deliver(stream, work, true);
  };

  const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

  // Everything queued when a pass starts goes out together: a stream gets all of it in one socket
  // write, so a burst that arrives faster than one pass costs one write per stream, not one per event.
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0);
        let sliceStart = performance.now();
        let count = 0;
        const passStart = performance.now();
        const targets = recipientsOfBatch(batch);
        for (const stream of targets) {
          if (stream.closed || stream.backlog) continue;
          for (const work of batch) apply(stream, work);
          flush(stream);
          if (++count % 32 === 0 && performance.now() - sliceStart > SLICE_MS) {
            await yieldToLoop();
            sliceStart = performance.now();
          }
        }
        log.debug("fan-out pass", {
          items: batch.length,
          streams: targets.length,
          ms: Math.round(performance.now() - passStart),
        });
        if (batch.includes(GAP)) void refreshMemberships([...byUser.keys()]);
      }
    } finally {
      pumping = false;
    }
  };

  const enqueue = (work: Work) => {
    queue.push(work);
    void pump();
  };

  const share = (event: StoredEvent): SharedEvent | undefined => {
    try {
      const data = JSON.parse(event.data) as StoredDomainEvent;
      const [ms, seq] = parseId(event.id);
      return {
        id: event.id,
        ms,
        seq,
        data,
        bytes: encodeMessage({ id: event.id, event: data.type, data: event.data }),
      };
    } catch (error) {
      log.warn("unreadable event skipped", { id: event.id, reason: (error as Error).message });
      return undefined;
    }
  };

  const tick = () => {
    const now = Date.now();
    collectAfterChurn();
    for (const stream of streams) if (now >= stream.expiresAt) close(stream);
    if (now >= nextHeartbeat) {
      nextHeartbeat = now + options.heartbeatSeconds * 1000;
      enqueue(HEARTBEAT);
      const slots = [...streams].map((stream): [string, string] => [stream.slot.key, stream.slot.id]);
      void store.renewSlots(slots, options.slotTtlSeconds).catch(() => {});
    }
    if (now >= nextSessionCheck && !checkingSessions) {
      nextSessionCheck = now + SESSION_RECHECK_MS;
      checkingSessions = true;
      const sessions = [...new Set([...streams].map((stream) => stream.sessionId))];
      // A store that does not answer is not a signed-out session: keep streaming.
      void endedSessions(store, sessions)
        .then(
          (ended) => {
            if (ended.size > 0) for (const stream of streams) if (ended.has(stream.sessionId)) close(stream);
          },
          () => {},
        )
        .finally(() => {
          checkingSessions = false;
        });
    }
    if (now >= nextRecheck) {
      nextRecheck = now + MEMBERSHIP_RECHECK_MS;
      void refreshMemberships([...byUser.keys()]);
    }
  };

  const follow = () => {
    const now = Date.now();
    nextHeartbeat = now + options.heartbeatSeconds * 1000;
    nextSessionCheck = now + SESSION_RECHECK_MS;
    nextRecheck = now + MEMBERSHIP_RECHECK_MS;
    // unref: the server's sockets keep the process alive, not this timer.
    ticker = setInterval(tick, TICK_MS);
    ticker.unref();
    following = [
      hub.subscribe((event) => {
        const shared = share(event);
        if (!shared) return;
        for (const stream of starting) stream.backlog?.push(shared);
        enqueue(shared);
      }),
      hub.onGap(() => {
        for (const stream of starting) stream.backlog?.push(GAP);
        enqueue(GAP);
      }),
      hub.onClose(() => {
        for (const stream of [...streams]) close(stream);
      }),
    ];
  };

  function close(stream: LiveStream) {
    if (stream.closed) return;
    stream.closed = true;
    churn += 1;
    streams.delete(stream);
    starting.delete(stream);
    removeFrom(byUser, stream.userId, stream);
    for (const projectId of stream.memberships.keys()) removeFrom(byProject, projectId, stream);
    stream.slot.release();
    if (stream.sink) {
      metrics.sseClients.dec();
      try {
        stream.sink.close();
      } catch {
        // already gone with its connection
      }
    }
    stream.finish();
    if (streams.size === 0 && following) {
      for (const stop of following) stop();
      following = undefined;
      clearInterval(ticker);
      // The last tick's turn, a moment later (connections are still being torn down).
      setTimeout(() => collectAfterChurn(true), TICK_MS).unref();
    }
  }

  return {
    /** Registers a stream before anything is read for it: every event from now on reaches it. */
    open(user: { id: string; sessionId: string; expiresAt: number }, slot: StreamSlot): LiveStream {
      const stream = new LiveStream(user.id, user.sessionId, user.expiresAt, slot);
      churn += 1;
      streams.add(stream);
      starting.add(stream);
      addTo(byUser, user.id, stream);
      if (!following) follow();
      return stream;
    },
    /** Starts writing to the client: opening, replay, backlog, then live. Resolves when the stream ends. */
    start(stream: LiveStream, sink: Sink, start: StreamStart): Promise<void> {
      if (stream.closed) return stream.ended;
      stream.sink = sink;
      metrics.sseClients.inc();
      starting.delete(stream);
      for (const bytes of start.opening) put(stream, bytes);
      [stream.lastMs, stream.lastSeq] = parseId(start.lastSent);
      stream.memberships = start.memberships;
      for (const event of start.replay) {
        const shared = share(event);
        if (shared) deliver(stream, shared, false);
      }
      const backlog = stream.backlog ?? [];
      stream.backlog = undefined;
      setMemberships(stream, stream.memberships);
      for (const item of backlog) {
        if (item === GAP) {
          put(stream, INTERRUPTED);
          void refreshMemberships([stream.userId]);
        } else deliver(stream, item, true);
      }
      flush(stream);
      return stream.ended;
    },
    close,
    get size() {
      return streams.size;
    },
  };
}

export type Fanout = ReturnType<typeof createFanout>;
