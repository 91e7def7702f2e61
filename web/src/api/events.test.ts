import { afterEach, beforeEach, expect, test } from "bun:test";
import { setAccessToken } from "./client";
import { createLive } from "./events";
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

const realFetch = globalThis.fetch;
let refreshes = 0;
const pending: Array<() => void> = [];
const timers = {
  setTimeout: ((fn: () => void) => {
    pending.push(fn);
    return pending.length as unknown as ReturnType<typeof setTimeout>;
  }) as unknown as typeof setTimeout,
  clearTimeout: (() => {}) as typeof clearTimeout,
};
const tick = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  FakeSource.opened = [];
  refreshes = 0;
  pending.length = 0;
  setAccessToken("token-1");
  globalThis.fetch = (async () => {
    refreshes += 1;
    return new Response(JSON.stringify({ accessToken: `token-${refreshes + 1}` }), { status: 200 });
  }) as unknown as typeof fetch;
});
afterEach(() => {
  globalThis.fetch = realFetch;
  setAccessToken(null);
});

test("connects with the access token, reports live, and dispatches named events", async () => {
  const live = createLive((url) => new FakeSource(url) as unknown as EventSource, timers);
  const seen: LiveEvent[] = [];
  live.subscribe((e) => seen.push(e));
  live.start();
  expect(live.state()).toBe("connecting");
  await tick();
  const source = FakeSource.opened[0] as FakeSource;
  expect(source.url).toBe("/api/events?access_token=token-1");
  source.onopen?.();
  expect(live.state()).toBe("live");
  source.emit("task.created", { type: "task.created", projectId: "p", task: { id: "t" } }, "5-0");
  expect(seen).toEqual([{ type: "task.created", projectId: "p", task: { id: "t" } } as LiveEvent]);
  live.stop();
  expect(source.closed).toBe(true);
  expect(live.state()).toBe("off");
});

test("an error shows reconnecting, refreshes the token and resumes from the last event id", async () => {
  const live = createLive((url) => new FakeSource(url) as unknown as EventSource, timers);
  live.start();
  await tick();
  const first = FakeSource.opened[0] as FakeSource;
  first.onopen?.();
  first.emit("task.updated", { projectId: "p" }, "42-1");
  first.onerror?.();
  expect(first.closed).toBe(true);
  expect(live.state()).toBe("reconnecting");
  expect(pending).toHaveLength(1);
  pending.shift()?.();
  await tick();
  await tick();
  expect(refreshes).toBe(1);
  const second = FakeSource.opened[1] as FakeSource;
  expect(second.url).toBe("/api/events?access_token=token-2&lastEventId=42-1");
  expect(live.state()).toBe("reconnecting");
  second.onopen?.();
  expect(live.state()).toBe("live");
  live.stop();
});

test("reconnect() reopens at once without a refresh", async () => {
  const live = createLive((url) => new FakeSource(url) as unknown as EventSource, timers);
  live.start();
  await tick();
  live.reconnect();
  await tick();
  expect(FakeSource.opened).toHaveLength(2);
  expect(FakeSource.opened[0]?.closed).toBe(true);
  expect(refreshes).toBe(0);
  live.stop();
});
