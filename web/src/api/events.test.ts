import { beforeEach, expect, test } from "bun:test";
import { createLive, type LiveOptions } from "./events";
import type { LiveEvent } from "./types";

class FakeSource {
  static opened: FakeSource[] = [];
  listeners = new Map<string, (e: MessageEvent) => void>();
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSource.opened.push(this);
  }
  addEventListener(name: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(name, fn);
  }
  close() {
    this.closed = true;
  }
  emit(name: string, data: unknown, id = "") {
    this.listeners.get(name)?.({ data: JSON.stringify(data), lastEventId: id } as MessageEvent);
  }
}

let tickets = 0;
let ticketFails = false;
const pending: Array<{ run: () => void; ms: number }> = [];
const options: LiveOptions = {
  open: (url) => new FakeSource(url) as unknown as EventSource,
  ticket: async () => {
    if (ticketFails) throw new Error("network");
    tickets += 1;
    return `t-${tickets}`;
  },
  timers: {
    setTimeout: (run, ms) => {
      pending.push({ run, ms });
      return pending.length as unknown as ReturnType<typeof setTimeout>;
    },
    clearTimeout: () => {},
  },
};
const tick = () => new Promise((r) => setTimeout(r, 0));
const opened = (n: number) => FakeSource.opened[n] as FakeSource;

beforeEach(() => {
  FakeSource.opened = [];
  tickets = 0;
  ticketFails = false;
  pending.length = 0;
});

test("connects with a ticket (never a token in the URL), reports live, and dispatches named events", async () => {
  const live = createLive(options);
  const seen: LiveEvent[] = [];
  live.subscribe((e) => seen.push(e));
  live.start();
  expect(live.state()).toBe("connecting");
  await tick();
  const source = opened(0);
  expect(source.url).toBe("/api/events?ticket=t-1");
  source.onopen?.();
  expect(live.state()).toBe("live");
  source.emit("task.created", { type: "task.created", projectId: "p", task: { id: "t" } }, "5-0");
  expect(seen).toEqual([{ type: "task.created", projectId: "p", task: { id: "t" } } as LiveEvent]);
  live.stop();
  expect(source.closed).toBe(true);
  expect(live.state()).toBe("off");
});

test("an error shows reconnecting, gets a new ticket and resumes from the last event id", async () => {
  const live = createLive(options);
  live.start();
  await tick();
  const first = opened(0);
  first.onopen?.();
  first.emit("task.updated", { projectId: "p" }, "42-1");
  first.onerror?.();
  expect(first.closed).toBe(true);
  expect(live.state()).toBe("reconnecting");
  expect(pending).toHaveLength(1);
  pending.shift()?.run();
  await tick();
  const second = opened(1);
  expect(second.url).toBe("/api/events?ticket=t-2&lastEventId=42-1");
  expect(live.state()).toBe("reconnecting");
  second.onopen?.();
  expect(live.state()).toBe("live");
  live.stop();
});

test("with no event received yet, a reconnect resumes from the position `ready` carried", async () => {
  const live = createLive(options);
  const seen: LiveEvent[] = [];
  live.subscribe((e) => seen.push(e));
  live.start();
  await tick();
  opened(0).onopen?.();
  opened(0).emit("ready", { projects: 1 }, "7-3");
  opened(0).onerror?.();
  pending.shift()?.run();
  await tick();
  expect(opened(1).url).toBe("/api/events?ticket=t-2&lastEventId=7-3");
  opened(1).onopen?.();
  expect(seen).toEqual([]);
  live.stop();
});

test("a reconnect with no position to resume from tells subscribers to resync", async () => {
  const live = createLive(options);
  const seen: LiveEvent[] = [];
  live.subscribe((e) => seen.push(e));
  live.start();
  await tick();
  opened(0).onopen?.();
  opened(0).emit("ready", { projects: 1 }); // the server could not tell its position
  expect(seen).toEqual([]);
  opened(0).onerror?.();
  pending.shift()?.run();
  await tick();
  expect(opened(1).url).toBe("/api/events?ticket=t-2");
  opened(1).onopen?.();
  expect(seen).toEqual([{ type: "resync" } as LiveEvent]);
  live.stop();
});

test("a failed ticket request retries with backoff capped at 5 s", async () => {
  const live = createLive(options);
  ticketFails = true;
  live.start();
  for (let i = 0; i < 10; i += 1) {
    await tick();
    expect(live.state()).toBe("reconnecting");
    const retry = pending.shift();
    expect(retry?.ms).toBeLessThanOrEqual(5000 * 1.25);
    retry?.run();
  }
  ticketFails = false;
  await tick();
  pending.shift()?.run();
  await tick();
  expect(FakeSource.opened).toHaveLength(1);
  live.stop();
});

test("the default timers work when the platform's setTimeout insists on its own `this` (browsers do)", async () => {
  const realSetTimeout = globalThis.setTimeout;
  const strict = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
    if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
    return realSetTimeout(...args);
  };
  globalThis.setTimeout = strict as unknown as typeof setTimeout;
  try {
    const live = createLive({ open: options.open, ticket: options.ticket });
    live.start();
    await tick();
    expect(() => opened(0).onerror?.()).not.toThrow();
    expect(live.state()).toBe("reconnecting");
    live.stop();
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
});

test("reconnect() reopens at once", async () => {
  const live = createLive(options);
  live.start();
  await tick();
  live.reconnect();
  await tick();
  expect(FakeSource.opened).toHaveLength(2);
  expect(opened(0).closed).toBe(true);
  live.stop();
});
