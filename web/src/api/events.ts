// Live updates over SSE. EventSource cannot send headers, and a token in the URL would land in proxy
// logs, so every connection first trades the access token for a single-use ticket (a normal request:
// it refreshes the token on 401). On any error the stream is closed and reopened with capped backoff,
// resuming from the last event id, while `state` says "reconnecting" so the UI can show it.
import { createSignal } from "solid-js";
import { request } from "./client";
import type { EventName, LiveEvent } from "./types";

export type LiveState = "off" | "connecting" | "live" | "reconnecting";

/** Retries back off up to this, so a client is live again within seconds of the server. */
const MAX_BACKOFF_MS = 5000;

// Every name of the API's event union, once: a name added there fails to compile until listed here.
const EVENT_NAMES = Object.keys({
  "task.created": true,
  "task.updated": true,
  "task.moved": true,
  "task.deleted": true,
  "task.archived": true,
  "task.restored": true,
  "project.created": true,
  "project.updated": true,
  "project.deleted": true,
  "project.archived": true,
  "project.restored": true,
  "label.created": true,
  "label.updated": true,
  "label.deleted": true,
  "member.added": true,
  "member.updated": true,
  "member.removed": true,
  "column.created": true,
  "column.updated": true,
  "column.deleted": true,
  "column.reordered": true,
  resync: true,
  "checklist.changed": true,
  "comment.created": true,
  "comment.updated": true,
  "comment.deleted": true,
  "attachment.added": true,
  "attachment.deleted": true,
  "notification.created": true,
  "notification.read": true,
} satisfies Record<EventName, true>) as EventName[];

type Handler = (event: LiveEvent) => void;

export interface LiveConnection {
  state: () => LiveState;
  subscribe(handler: Handler): () => void;
  start(): void;
  stop(): void;
  /** Reopens the stream now (resuming from the last event): the server picks up new memberships. */
  reconnect(): void;
}

export interface LiveOptions {
  open?: (url: string) => EventSource;
  ticket?: () => Promise<string>;
  timers?: {
    setTimeout(run: () => void, ms: number): ReturnType<typeof setTimeout>;
    clearTimeout(id: ReturnType<typeof setTimeout>): void;
  };
}

export function createLive(options: LiveOptions = {}): LiveConnection {
  const open = options.open ?? ((url) => new EventSource(url));
  const ticket =
    options.ticket ??
    (async () => (await request<{ ticket: string }>("/api/events/ticket", { method: "POST" })).ticket);
  // Wrapped: the browser's own setTimeout throws "Illegal invocation" when called as a method of
  // another object, and the retry would silently never be scheduled.
  const timers = options.timers ?? {
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (id) => clearTimeout(id),
  };
  const [state, setState] = createSignal<LiveState>("off");
  const handlers = new Set<Handler>();
  let source: EventSource | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let running = false;
  let lastEventId = "";
  let connectedBefore = false;

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
    let granted: string;
    try {
      granted = await ticket();
    } catch {
      if (running && mine === generation) schedule();
      return;
    }
    if (!running || mine !== generation) return;
    // After a gap the server replays what we missed from `lastEventId`, or sends `resync`.
    const resumeFrom = lastEventId;
    const resume = resumeFrom ? `&lastEventId=${encodeURIComponent(resumeFrom)}` : "";
    const es = open(`/api/events?ticket=${encodeURIComponent(granted)}${resume}`);
    source = es;
    for (const name of EVENT_NAMES) {
      es.addEventListener(name, (e) => {
        const message = e as MessageEvent;
        dispatch(name, message.data, message.lastEventId);
      });
    }
    // `ready` carries the stream position: even with no event yet, a reconnect resumes from there.
    es.addEventListener("ready", (e) => {
      const id = (e as MessageEvent).lastEventId;
      if (id) lastEventId = id;
    });
    es.onopen = () => {
      if (source !== es) return;
      attempt = 0;
      setState("live");
      // Back without a position to resume from: whatever happened meanwhile is only in the lists.
      if (connectedBefore && !resumeFrom) dispatch("resync", "");
      connectedBefore = true;
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
    const delay =
      Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempt - 1, 6)) * (0.75 + Math.random() * 0.5);
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
      connectedBefore = false;
      if (retryTimer) timers.clearTimeout(retryTimer);
      source?.close();
      source = null;
      setState("off");
    },
  };
}

export const live = createLive();
