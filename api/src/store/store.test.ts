// The same contract for both stores: what the memory store promises in development, Redis keeps
// in production.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { testBackends } from "../../test/support/harness.ts";
import { createMemoryStore } from "./memory.ts";
import { createRedisStore } from "./redis.ts";
import { compareEventIds, type Store } from "./store.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

const stores: Array<[string, () => Promise<Store | undefined>]> = [
  ["memory", async () => createMemoryStore({ eventsRetained: 5 })],
  [
    "redis",
    async () => {
      const backends = await testBackends();
      if (backends.kind !== "real") return undefined;
      const store = createRedisStore({
        url: backends.redisUrl,
        keyPrefix: `contract-${crypto.randomUUID()}:`,
        eventsRetained: 5,
        commandTimeoutMs: 5000,
      });
      await store.ready(10_000);
      return store;
    },
  ],
];

for (const [name, make] of stores) {
  describe(`${name} store`, () => {
    let store: Store | undefined;
    beforeAll(async () => {
      store = await make();
    });
    afterAll(() => store?.close());
    const s = () => {
      if (!store) throw new Error("Redis is required for this contract (CI always has it)");
      return store;
    };

    test("get/set/del with expiry", async () => {
      await s().set("a", "1", 60);
      expect(await s().get("a")).toBe("1");
      await s().del("a");
      expect(await s().get("a")).toBeNull();
      await s().set("short", "x", 1);
      await Bun.sleep(1100);
      expect(await s().get("short")).toBeNull();
    });

    test("take returns a value once", async () => {
      await s().set("once", "v", 60);
      expect(await Promise.all([s().getDel("once"), s().getDel("once")])).toEqual(["v", null]);
      expect(await s().get("once")).toBeNull();
    });

    test("compareAndSet only replaces the expected value", async () => {
      await s().set("cas", "v1", 60);
      expect(await s().compareAndSet("cas", "v0", "v2", 60)).toBe(false);
      expect(await s().compareAndSet("cas", "v1", "v2", 60)).toBe(true);
      expect(await s().get("cas")).toBe("v2");
      expect(await s().compareAndSet("missing", "v1", "v2", 60)).toBe(false);
    });

    test("hit counts several windows at once, in order, and peek reads without counting", async () => {
      expect(await s().peek("counter")).toEqual({ count: 0, resetSeconds: 0 });
      expect((await s().hit(["counter"], 60)).map((w) => w.count)).toEqual([1]);
      const [second, other] = await s().hit(["counter", "other"], 60);
      expect(second?.count).toBe(2);
      expect(other?.count).toBe(1);
      expect(second?.resetSeconds).toBeGreaterThan(0);
      expect(second?.resetSeconds).toBeLessThanOrEqual(60);
      expect((await s().peek("counter")).count).toBe(2);
      expect(await s().hit([], 60)).toEqual([]);
    });

    test("claimSlot admits at most `limit` members even when racing; release, renew and expiry free slots", async () => {
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s().claimSlot("slots", `c${i}`, 3, 60)),
      );
      expect(claims.filter(Boolean)).toHaveLength(3);
      const inside = claims.flatMap((claimed, i) => (claimed ? [`c${i}`] : []));
      // A member already inside claims again (a renewal), even with the set full.
      expect(await s().claimSlot("slots", inside[0] ?? "", 3, 60)).toBe(true);
      expect(await s().claimSlot("slots", "late", 3, 60)).toBe(false);
      await s().releaseSlot("slots", inside[0] ?? "");
      expect(await s().claimSlot("slots", "late", 3, 60)).toBe(true);

      expect(await s().claimSlot("short-slots", "a", 1, 1)).toBe(true);
      expect(await s().claimSlot("short-slots", "b", 1, 1)).toBe(false);
      await s().renewSlots([["short-slots", "a"]], 3);
      await Bun.sleep(1100);
      expect(await s().claimSlot("short-slots", "b", 1, 1)).toBe(false);
      // Not renewed again: once "a" expires (a replica that died), its slot is free.
      await Bun.sleep(2000);
      expect(await s().claimSlot("short-slots", "b", 1, 1)).toBe(true);
      // Renewing a released slot does not bring it back.
      await s().releaseSlot("short-slots", "b");
      await s().renewSlots([["short-slots", "b"]], 60);
      expect(await s().claimSlot("short-slots", "c", 1, 60)).toBe(true);
    });

    test("getMany reads several keys in order", async () => {
      await s().set("many-a", "1", 60);
      await s().set("many-c", "3", 60);
      expect(await s().getMany(["many-a", "many-b", "many-c"])).toEqual(["1", null, "3"]);
      expect(await s().getMany([])).toEqual([]);
    });

    test("hit skips a counter while its unless key exists, checked in the same call", async () => {
      await s().set("ended", "1", 60);
      const [plain, gated] = await s().hit(["plain", { key: "gated", unless: "ended" }], 60);
      expect(plain?.count).toBe(1);
      expect(gated).toEqual({ count: 0, resetSeconds: 0, skipped: true });
      expect((await s().peek("gated")).count).toBe(0);
      const [live] = await s().hit([{ key: "gated", unless: "not-there" }], 60);
      expect(live).toMatchObject({ count: 1 });
      expect(live?.skipped).toBeUndefined();
    });

    test("take counts all keys or none, never past a limit, and giveBack returns an attempt", async () => {
      const counts = (taken: { windows: { count: number }[] }) => taken.windows.map((w) => w.count);
      const first = await s().take(["a1", "b1"], [2, 5], 60);
      expect(first.taken).toBe(true);
      expect(counts(first)).toEqual([1, 1]);
      expect(first.windows[0]?.resetSeconds).toBeLessThanOrEqual(60);
      expect(counts(await s().take(["a1", "b1"], [2, 5], 60))).toEqual([2, 2]);
      // a1 is at its limit: nothing is counted, b1 included.
      const refused = await s().take(["a1", "b1"], [2, 5], 60);
      expect(refused.taken).toBe(false);
      expect(counts(refused)).toEqual([2, 2]);
      expect(refused.windows[0]?.resetSeconds).toBeGreaterThan(0);
      await s().giveBack(["a1", "b1", "never-taken"]);
      expect(counts(await s().take(["a1", "b1"], [2, 5], 60))).toEqual([2, 2]);
      // Concurrent takes: exactly the limit gets through.
      const burst = await Promise.all(Array.from({ length: 20 }, () => s().take(["burst"], [7], 60)));
      expect(burst.filter((result) => result.taken)).toHaveLength(7);
      await s().giveBack(["never-taken"]);
      expect((await s().take(["never-taken"], [1], 60)).windows[0]?.count).toBe(1);
    });

    test("getBytes returns what get returns, as UTF-8 bytes", async () => {
      await s().set("body", '{"title":"café ✓"}', 60);
      const bytes = await s().getBytes("body");
      expect(new TextDecoder().decode(bytes ?? new Uint8Array())).toBe('{"title":"café ✓"}');
      expect(await s().getBytes("absent")).toBeNull();
      const binary = Uint8Array.from([0x1f, 0x8b, 0, 255, 128]);
      await s().set("binary", binary, 60);
      expect(await s().getBytes("binary")).toEqual(binary);
    });

    test("sets", async () => {
      await s().setAdd("set", "a", 60);
      await s().setAdd("set", "b", 60);
      await s().setRemove("set", "a");
      expect(await s().setMembers("set")).toEqual(["b"]);
    });

    test("events: ordered ids, blocking reads wake on append, bounded replay", async () => {
      expect(await s().lastEventId()).toBe("0-0");
      const waiting = s().readEvents(`${Date.now()}-0`, 3000);
      await Bun.sleep(50);
      const first = await s().appendEvent('{"n":1}');
      const woke = await waiting;
      expect(woke.map((event) => event.data)).toEqual(['{"n":1}']);
      const ids = [first];
      // Redis trims approximately (whole 100-entry nodes), so append well past the bound.
      for (let n = 2; n <= 250; n++) ids.push(await s().appendEvent(`{"n":${n}}`));
      for (let i = 1; i < ids.length; i++)
        expect(compareEventIds(ids[i] as string, ids[i - 1] as string)).toBeGreaterThan(0);
      expect(await s().lastEventId()).toBe(ids[249] as string);
      const recent = await s().eventsSince(ids[248] as string);
      expect(recent.complete).toBe(true);
      expect(recent.events.map((event) => event.data)).toEqual(['{"n":250}']);
      // Older events were trimmed away: replay from the first one cannot be complete.
      expect((await s().eventsSince(first)).complete).toBe(false);
    });

    test("ping", async () => {
      await s().ping();
    });
  });
}
