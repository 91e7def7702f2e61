// Live updates over SSE. EventSource cannot send headers, so the access token travels as a query
// parameter; on any error the stream is closed, the token refreshed, and the stream reopened with
// backoff, while `state` says "reconnecting" so the UI can show it.
import { createSignal } from "solid-js";
import { getAccessToken, refreshToken } from "./client";
import type { EventName, LiveEvent } from "./types";

export type LiveState = "off" | "connecting" | "live" | "reconnecting";

const EVENT_NAMES: EventName[] = [
  "task.created",
  "task.updated",
  "task.moved",
  "task.deleted",
  "project.created",
  "project.updated",
  "project.deleted",
  "member.added",
  "member.updated",
  "member.removed",
  "resync",
];

type Handler = (event: LiveEvent) => void;

export interface LiveConnection {
  state: () => LiveState;
  subscribe(handler: Handler): () => void;
  start(): void;
  stop(): void;
  /** Reopens the stream now (resuming from the last event): the server picks up new memberships. */
  reconnect(): void;
}

export function createLive(
  open: (url: string) => EventSource = (url) => new EventSource(url),
  timers = { setTimeout, clearTimeout },
): LiveConnection {
  const [state, setState] = createSignal<LiveState>("off");
  const handlers = new Set<Handler>();
  let source: EventSource | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let running = false;
  let lastEventId = "";

  const dispatch = (name: EventName, data: string, id = "") => {
    if (id) lastEventId = id;
    let event: LiveEvent;
    try {
      event = { type: name, ...(data ? (JSON.parse(data) as Partial<LiveEvent>) : {}) } as LiveEvent;
    } catch {
      return;
    }
    for (const handler of handlers) handler(event);
  };

  let generation = 0;
  const connect = async () => {
    if (!running) return;
    const mine = ++generation;
    let token = getAccessToken();
    if (attempt > 0 || !token) token = await refreshToken();
    if (!running || mine !== generation) return;
    if (!token) {
      schedule();
      return;
    }
    // After a gap the server replays what we missed from `lastEventId`, or sends `resync`.
    const resume = lastEventId ? `&lastEventId=${encodeURIComponent(lastEventId)}` : "";
    const es = open(`/api/events?access_token=${encodeURIComponent(token)}${resume}`);
    source = es;
    for (const name of EVENT_NAMES) {
      es.addEventListener(name, (e) => {
        const message = e as MessageEvent;
        dispatch(name, message.data, message.lastEventId);
      });
    }
    es.onopen = () => {
      if (source !== es) return;
      attempt = 0;
      setState("live");
    };
    es.onerror = () => {
      if (source !== es) return;
      es.close();
      source = null;
      schedule();
    };
  };

  const schedule = () => {
    if (!running) return;
    setState("reconnecting");
    attempt += 1;
    const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6)) * (0.75 + Math.random() * 0.5);
    retryTimer = timers.setTimeout(() => void connect(), delay);
  };

  // The browser knows about a lost network before a half-open stream errors: show it at once, and
  // reconnect as soon as the network is back instead of waiting for the backoff.
  const onOffline = () => {
    if (!running) return;
    source?.close();
    source = null;
    if (retryTimer) timers.clearTimeout(retryTimer);
    generation += 1;
    setState("reconnecting");
  };
  const onOnline = () => {
    if (!running) return;
    if (retryTimer) timers.clearTimeout(retryTimer);
    attempt = Math.max(attempt, 1);
    void connect();
  };
  const listenToNetwork = () => {
    if (typeof window === "undefined") return;
    window.addEventListener("offline", onOffline);
    window.addEventListener("online", onOnline);
  };
  const unlistenNetwork = () => {
    if (typeof window === "undefined") return;
    window.removeEventListener("offline", onOffline);
    window.removeEventListener("online", onOnline);
  };

  return {
    state,
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    start() {
      if (running) return;
      running = true;
      listenToNetwork();
      attempt = 0;
      setState("connecting");
      void connect();
    },
    reconnect() {
      if (!running) return;
      if (retryTimer) timers.clearTimeout(retryTimer);
      source?.close();
      source = null;
      void connect();
    },
    stop() {
      running = false;
      unlistenNetwork();
      lastEventId = "";
      if (retryTimer) timers.clearTimeout(retryTimer);
      source?.close();
      source = null;
      setState("off");
    },
  };
}

export const live = createLive();
