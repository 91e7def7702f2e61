// One interface for everything the API keeps outside PostgreSQL: sessions, counters, cache and the
// event stream. redis.ts is the production implementation; memory.ts serves `bun run dev` without Redis.
export interface StoredEvent {
  id: string;
  data: string;
}

export interface WindowCount {
  count: number;
  resetSeconds: number;
  /** Not counted: the counter's `unless` key exists (count and resetSeconds are then 0). */
  skipped?: true;
}

/** A hit() counter that is counted only while its `unless` key does not exist. */
export interface Counter {
  key: string;
  unless?: string;
}

export interface Taken {
  taken: boolean;
  windows: WindowCount[];
}

export interface Store {
  readonly kind: "redis" | "memory";
  get(key: string): Promise<string | null>;
  /** get() as raw bytes: a cached response body goes out without a decode and re-encode. */
  getBytes(key: string): Promise<Uint8Array<ArrayBuffer> | null>;
  set(key: string, value: string | Uint8Array, ttlSeconds: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** Replaces the value only if it still equals `expected`; false when someone else changed it first. */
  compareAndSet(key: string, expected: string, next: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Fixed-window counters, in one round trip: increments each key and returns, in the same order, its
   * count and the seconds until its window resets. A counter with `unless` is skipped while that key
   * exists, checked in the same round trip (the rate limits and the session check of one request).
   */
  hit(counters: (string | Counter)[], windowSeconds: number): Promise<WindowCount[]>;
  /** Reads a hit() counter without incrementing it. */
  peek(key: string): Promise<WindowCount>;
  /**
   * Counts one attempt against every key only if each is still below its limit, all or none, in one
   * atomic step: concurrent callers can never get more than `limit` attempts through. Returns whether
   * it counted, and each window as it is afterwards.
   */
  take(keys: string[], limits: number[], windowSeconds: number): Promise<Taken>;
  /** Gives back an attempt counted by take() (decrements the keys whose window is still open). */
  giveBack(keys: string[]): Promise<void>;
  setAdd(key: string, member: string, ttlSeconds: number): Promise<void>;
  setRemove(key: string, member: string): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  /** get() of many keys in one round trip, in the same order. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  /**
   * Adds `member` to a set of at most `limit` live members, atomically (concurrent callers on every
   * replica can never get more than `limit` in). A member lives `ttlSeconds` unless renewed, so the
   * slots of a replica that died free themselves. False when the set is full.
   */
  claimSlot(key: string, member: string, limit: number, ttlSeconds: number): Promise<boolean>;
  /** Extends the life of claimed slots (those released or expired meanwhile stay gone), in one round trip. */
  renewSlots(slots: [key: string, member: string][], ttlSeconds: number): Promise<void>;
  releaseSlot(key: string, member: string): Promise<void>;
  /** Reads and deletes a key in one step: a value that must be used at most once. */
  getDel(key: string): Promise<string | null>;
  /** Appends to the bounded event stream and returns the event id. */
  appendEvent(data: string): Promise<string>;
  /** The id of the newest event in the stream ("0-0" while it is empty): "now" in stream terms. */
  lastEventId(): Promise<string>;
  /** Waits up to blockMs for events after `afterId` ("$" = only new ones). */
  readEvents(afterId: string, blockMs: number): Promise<StoredEvent[]>;
  /**
   * Events after `afterId`; `complete` is false unless `afterId` itself is still retained (so events
   * after it may have been trimmed away, or lost with a store restart).
   */
  eventsSince(afterId: string): Promise<{ events: StoredEvent[]; complete: boolean }>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Stream ids are "<ms>-<seq>"; compares them in stream order. */
export function compareEventIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

export const EVENT_ID_PATTERN = /^\d{1,15}-\d{1,10}$/;

export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super("session store unavailable", { cause });
    this.name = "StoreUnavailableError";
  }
}
