// In-process Store for development without Redis. Same semantics as redis.ts, one process only.
import { compareEventIds, type Store, type StoredEvent } from "./store.ts";

interface Entry {
  /** Map: slots (member → expiry ms). */
  value: string | Uint8Array | Set<string> | Map<string, number> | number;
  expiresAt: number;
}

export function createMemoryStore(options: { eventsRetained: number; now?: () => number }): Store {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const events: StoredEvent[] = [];
  const waiters = new Set<() => void>();
  let lastMs = 0;
  let seq = 0;

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const expiry = (ttlSeconds: number) => now() + ttlSeconds * 1000;
  const after = (afterId: string) => events.filter((event) => compareEventIds(event.id, afterId) > 0);

  return {
    kind: "memory",
    async get(key) {
      const value = live(key)?.value;
      if (value instanceof Uint8Array) return new TextDecoder().decode(value);
      return typeof value === "string" ? value : null;
    },
    async getBytes(key) {
      const value = live(key)?.value;
      if (value instanceof Uint8Array) return new Uint8Array(value);
      return typeof value === "string" ? new TextEncoder().encode(value) : null;
    },
    async set(key, value, ttlSeconds) {
      entries.set(key, { value, expiresAt: expiry(ttlSeconds) });
    },
    async del(...keys) {
      for (const key of keys) entries.delete(key);
    },
    async compareAndSet(key, expected, next, ttlSeconds) {
      if (live(key)?.value !== expected) return false;
      entries.set(key, { value: next, expiresAt: expiry(ttlSeconds) });
      return true;
    },
    async hit(counters, windowSeconds) {
      return counters.map((counter) => {
        const { key, unless } = typeof counter === "string" ? { key: counter, unless: undefined } : counter;
        if (unless !== undefined && live(unless)) return { count: 0, resetSeconds: 0, skipped: true };
        const entry = live(key);
        if (!entry || typeof entry.value !== "number") {
          entries.set(key, { value: 1, expiresAt: expiry(windowSeconds) });
          return { count: 1, resetSeconds: windowSeconds };
        }
        entry.value += 1;
        return { count: entry.value, resetSeconds: Math.max(1, Math.ceil((entry.expiresAt - now()) / 1000)) };
      });
    },
    async peek(key) {
      const entry = live(key);
      if (!entry || typeof entry.value !== "number") return { count: 0, resetSeconds: 0 };
      return { count: entry.value, resetSeconds: Math.max(1, Math.ceil((entry.expiresAt - now()) / 1000)) };
    },
    async take(keys, limits, windowSeconds) {
      const counter = (key: string) => {
        const entry = live(key);
        return entry && typeof entry.value === "number" ? entry : undefined;
      };
      const taken = keys.every(
        (key, i) => ((counter(key)?.value as number | undefined) ?? 0) < (limits[i] ?? 0),
      );
      const windows = keys.map((key) => {
        let entry = counter(key);
        if (taken) {
          entry ??= { value: 0, expiresAt: expiry(windowSeconds) };
          entry.value = (entry.value as number) + 1;
          entries.set(key, entry);
        }
        if (!entry) return { count: 0, resetSeconds: 1 };
        return {
          count: entry.value as number,
          resetSeconds: Math.max(1, Math.ceil((entry.expiresAt - now()) / 1000)),
        };
      });
      return { taken, windows };
    },
    async giveBack(keys) {
      for (const key of keys) {
        const entry = live(key);
        if (entry && typeof entry.value === "number" && entry.value > 0) entry.value -= 1;
      }
    },
    async setAdd(key, member, ttlSeconds) {
      const entry = live(key);
      const members = entry?.value instanceof Set ? entry.value : new Set<string>();
      members.add(member);
      entries.set(key, { value: members, expiresAt: expiry(ttlSeconds) });
    },
    async setRemove(key, member) {
      const entry = live(key);
      if (entry?.value instanceof Set) entry.value.delete(member);
    },
    async setMembers(key) {
      const entry = live(key);
      return entry?.value instanceof Set ? [...entry.value] : [];
    },
    async getMany(keys) {
      return Promise.all(keys.map((key) => this.get(key)));
    },
    async claimSlot(key, member, limit, ttlSeconds) {
      const entry = live(key);
      const slots = entry?.value instanceof Map ? entry.value : new Map<string, number>();
      for (const [slot, expiresAt] of slots) if (expiresAt <= now()) slots.delete(slot);
      if (!slots.has(member) && slots.size >= limit) return false;
      slots.set(member, expiry(ttlSeconds));
      entries.set(key, { value: slots, expiresAt: expiry(ttlSeconds) });
      return true;
    },
    async renewSlots(slots, ttlSeconds) {
      for (const [key, member] of slots) {
        const entry = live(key);
        if (!(entry?.value instanceof Map) || !entry.value.has(member)) continue;
        entry.value.set(member, expiry(ttlSeconds));
        entry.expiresAt = expiry(ttlSeconds);
      }
    },
    async releaseSlot(key, member) {
      const entry = live(key);
      if (entry?.value instanceof Map) entry.value.delete(member);
    },
    async getDel(key) {
      const value = live(key)?.value;
      entries.delete(key);
      return typeof value === "string" ? value : null;
    },
    async appendEvent(data) {
      const ms = now();
      seq = ms === lastMs ? seq + 1 : 0;
      lastMs = ms;
      const id = `${ms}-${seq}`;
      events.push({ id, data });
      if (events.length > options.eventsRetained) events.splice(0, events.length - options.eventsRetained);
      for (const wake of waiters) wake();
      return id;
    },
    async lastEventId() {
      return events.at(-1)?.id ?? "0-0";
    },
    async readEvents(afterId, blockMs) {
      const from = afterId === "$" ? (events.at(-1)?.id ?? "0-0") : afterId;
      const ready = after(from);
      if (ready.length > 0) return ready;
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, blockMs);
        waiters.add(wake);
      });
      return after(from);
    },
    async eventsSince(afterId) {
      // As in redis.ts: complete only while the client's last event is still retained.
      const complete = events.some((event) => event.id === afterId);
      return { events: after(afterId), complete };
    },
    async ping() {},
    async close() {
      for (const wake of waiters) wake();
    },
  };
}
