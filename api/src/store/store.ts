// One interface for everything the API keeps outside PostgreSQL: sessions, counters, cache and the
// event stream. redis.ts is the production implementation; memory.ts serves `bun run dev` without Redis.
export interface StoredEvent {
  id: string;
  data: string;
}

export interface Store {
  readonly kind: "redis" | "memory";
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** Replaces the value only if it still equals `expected`; false when someone else changed it first. */
  compareAndSet(key: string, expected: string, next: string, ttlSeconds: number): Promise<boolean>;
  /** Fixed-window counter: increments and returns the count and the seconds until the window resets. */
  hit(key: string, windowSeconds: number): Promise<{ count: number; resetSeconds: number }>;
  /** Reads a hit() counter without incrementing it. */
  peek(key: string): Promise<{ count: number; resetSeconds: number }>;
  setAdd(key: string, member: string, ttlSeconds: number): Promise<void>;
  setRemove(key: string, member: string): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  /** Appends to the bounded event stream and returns the event id. */
  appendEvent(data: string): Promise<string>;
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
