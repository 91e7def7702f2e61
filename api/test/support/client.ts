// HTTP and Server-Sent Events clients for suites that talk to real API processes over loopback.
import { expect } from "bun:test";

export const PASSWORD = "a sturdy passphrase 42";

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  headers: Headers;
  text: string;
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  cookie?: string;
  /** Abort after this long (default 10 s) so a hanging request fails the test instead of stalling it. */
  timeoutMs?: number;
}

/** One JSON request; `ms` is the time until the whole body arrived. */
export async function call(base: string, method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const started = performance.now();
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed, headers: response.headers, text, ms } as Reply;
}

/** The `__Host-tp_refresh=…` pair from a response, ready for a Cookie header. */
export function refreshCookieOf(headers: Headers): string | undefined {
  for (const cookie of headers.getSetCookie()) {
    const pair = cookie.split(";")[0];
    if (pair?.startsWith("__Host-tp_refresh=") && pair.length > "__Host-tp_refresh=".length) return pair;
  }
  return undefined;
}

export interface User {
  id: string;
  email: string;
  token: string;
  cookie: string;
}

export async function signUp(base: string, label = "user"): Promise<User> {
  const email = `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const reply = await call(base, "POST", "/api/auth/register", {
    body: { email, password: PASSWORD, name: label },
  });
  if (reply.status !== 201) throw new Error(`sign-up failed: ${reply.status} ${reply.text}`);
  return {
    id: reply.body.user.id,
    email,
    token: reply.body.accessToken,
    cookie: refreshCookieOf(reply.headers) ?? "",
  };
}

export async function createProject(base: string, user: User, name = "Project"): Promise<string> {
  const reply = await call(base, "POST", "/api/projects", { token: user.token, body: { name } });
  expect(reply.status).toBe(201);
  return reply.body.id;
}

export async function addMember(base: string, owner: User, projectId: string, member: User, role = "editor") {
  const reply = await call(base, "POST", `/api/projects/${projectId}/members`, {
    token: owner.token,
    body: { email: member.email, role },
  });
  expect(reply.status).toBe(202);
}

/** Ada, owner of a new project, and Bob, its editor: the cast of the two-user suites. */
export async function adaAndBob(base: string, projectName: string) {
  const ada = await signUp(base, "ada");
  const bob = await signUp(base, "bob");
  const projectId = await createProject(base, ada, projectName);
  await addMember(base, ada, projectId, bob);
  return { ada, bob, projectId };
}

export async function createTask(base: string, user: User, projectId: string, title: string): Promise<Reply> {
  return call(base, "POST", "/api/tasks", { token: user.token, body: { projectId, title } });
}

/** A single-use event-stream ticket (what the browser opens EventSource with). */
export async function streamTicket(base: string, user: User): Promise<string> {
  const reply = await call(base, "POST", "/api/events/ticket", { token: user.token });
  expect(reply.status).toBe(201);
  return reply.body.ticket;
}

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
  /** performance.now() when the message was complete. */
  at: number;
}

export interface SseClient {
  status: number;
  messages: SseMessage[];
  comments: { text: string; at: number }[];
  /** Resolves once the server ended the stream (or the client closed it). */
  ended: Promise<void>;
  readonly closed: boolean;
  /** Waits for a message matching `match` (already received ones count), or throws after timeoutMs. */
  waitFor(match: (message: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/**
 * Opens GET /api/events with fetch and parses text/event-stream by hand (what EventSource does), so
 * tests see ids, event names and heartbeat comments. Non-2xx answers resolve with `status` set.
 */
export async function openEvents(
  base: string,
  options: { token?: string; ticket?: string; lastEventId?: string; query?: Record<string, string> } = {},
): Promise<SseClient> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.lastEventId) headers["last-event-id"] = options.lastEventId;
  const params = new URLSearchParams(options.query);
  if (options.ticket !== undefined) params.set("ticket", options.ticket);
  const query = params.size > 0 ? `?${params}` : "";
  const response = await fetch(`${base}/api/events${query}`, { headers, signal: controller.signal });
  const messages: SseMessage[] = [];
  const comments: { text: string; at: number }[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  const notify = () => {
    for (const waiter of waiters) waiter();
  };

  const read = async () => {
    if (!response.ok || !response.body) {
      await response.text().catch(() => "");
      return;
    }
    const decoder = new TextDecoder();
    let buffer = "";
    let current: Partial<SseMessage> & { data?: string } = {};
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          if (line === "") {
            if (current.data !== undefined || current.event !== undefined) {
              messages.push({
                event: current.event ?? "message",
                data: current.data ?? "",
                ...(current.id === undefined ? {} : { id: current.id }),
                at: performance.now(),
              });
              notify();
            }
            current = {};
          } else if (line.startsWith(":")) {
            comments.push({ text: line.slice(1).trim(), at: performance.now() });
            notify();
          } else {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "data")
              current.data = current.data === undefined ? value : `${current.data}\n${value}`;
            else if (field === "event") current.event = value;
            else if (field === "id") current.id = value;
          }
          newline = buffer.indexOf("\n");
        }
      }
    } catch {
      // aborted by close() or the connection dropped
    } finally {
      closed = true;
      notify();
    }
  };
  const ended = read();

  return {
    status: response.status,
    messages,
    comments,
    ended,
    get closed() {
      return closed;
    },
    async waitFor(match, timeoutMs = 3000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (closed) throw new Error(`stream ended before the expected event; got ${describe(messages)}`);
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${describe(messages)}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    close() {
      controller.abort();
    },
  };
}

function describe(messages: SseMessage[]): string {
  return JSON.stringify(messages.map((message) => `${message.event}#${message.id ?? ""}`));
}

/** The parsed JSON `data` of an SSE message. */
// biome-ignore lint/suspicious/noExplicitAny: event payloads are inspected field by field
export const payload = (message: SseMessage): any => JSON.parse(message.data);

/** Polls until check() is true or throws after timeoutMs. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/** A Prometheus text exposition as a map from `name{labels}` to value. */
export async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

export const sample = (samples: Map<string, number>, key: string) => samples.get(key) ?? 0;
