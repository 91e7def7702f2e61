import { expect, test } from "bun:test";
import { createLogger } from "../log.ts";
import { createMemoryStore } from "../store/memory.ts";
import type { StoredEvent } from "../store/store.ts";
import { createEventHub } from "./hub.ts";

test("a hub delivers events from a store whose clock is behind this process's", async () => {
  // Stream ids carry the store's clock (Redis on another host may lag): the hub must not start "now".
  const store = createMemoryStore({ eventsRetained: 100, now: () => Date.now() - 60_000 });
  const hub = createEventHub(store, createLogger("silent"));
  const seen: StoredEvent[] = [];
  const arrived = new Promise<void>((resolve) =>
    hub.subscribe((event) => {
      seen.push(event);
      resolve();
    }),
  );
  await store.appendEvent('{"n":1}');
  // Bounded: if the hub skipped the event, nothing else would end the wait.
  await Promise.race([arrived, Bun.sleep(2000)]);
  hub.close();
  await store.close();
  expect(seen.map((event) => event.data)).toEqual(['{"n":1}']);
});
