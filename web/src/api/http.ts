// Typed fetch wrapper: bearer token kept in memory only, one shared silent refresh through the
// HttpOnly `__Host-tp_refresh` cookie on 401 (one at a time across tabs too), and one error type for
// every failure. The endpoints live per resource beside it (auth.ts, projects.ts, tasks.ts, transfer.ts).
import type { Page } from "./types";

export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** From Retry-After, on 429 and 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
  /** Field messages from a 422, whatever shape the details take (zod issues, field map, …). */
  get fields(): FieldErrors {
    return fieldErrors(this.details);
  }
}

export function fieldErrors(details: unknown): FieldErrors {
  const out: FieldErrors = {};
  const put = (path: unknown, message: unknown) => {
    const key = Array.isArray(path) ? path.join(".") : String(path ?? "");
    if (key && typeof message === "string" && !out[key]) out[key] = humanize(message);
  };
  const visit = (value: unknown) => {
    if (!value || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item && typeof item === "object") {
          const { path, field, message } = item as Record<string, unknown>;
          put(path ?? field, message);
        }
      }
      return;
    }
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.issues)) return visit(record.issues);
    if (record.fieldErrors && typeof record.fieldErrors === "object") return visit(record.fieldErrors);
    if (record.fields && typeof record.fields === "object") return visit(record.fields);
    for (const [key, message] of Object.entries(record)) {
      put(key, Array.isArray(message) ? message[0] : message);
    }
  };
  visit(details);
  return out;
}

/** "is incorrect" → "This is incorrect."; "Too small: …" stays as it is. */
export function humanize(message: string): string {
  const text = /^(is|must|should|has|was) /.test(message) ? `This ${message}` : message;
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Answers that say "not now" rather than "no": the session may be perfectly fine. */
export function isTemporary(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500);
}

let accessToken: string | null = null;
let renewing: Promise<Renewal> | null = null;
const listeners = new Set<(token: string | null) => void>();

export function getAccessToken(): string | null {
  return accessToken;
}
export function setAccessToken(token: string | null): void {
  accessToken = token;
  for (const listener of listeners) listener(token);
}
export function onTokenChange(listener: (token: string | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type Renewal =
  | { kind: "token"; token: string }
  /** No session (no cookie: 204; an ended one: 401). */
  | { kind: "signed_out" }
  /** Rate limited, server or network trouble: the session may be fine, try again later. */
  | { kind: "retry_later"; error: ApiError };

/**
 * Tabs share the refresh cookie, so their refreshes are queued through the Web Locks API: each one
 * then presents the cookie the previous one set. Without it (old browsers, tests) the server still
 * forgives two refreshes at the same moment.
 */
function oneTabAtATime<T>(run: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  return locks ? (locks.request("taskplatform-refresh", run) as Promise<T>) : run();
}

async function fetchRenewal(): Promise<Renewal> {
  let res: Response;
  try {
    res = await fetch("/api/auth/refresh", { method: "POST", credentials: "same-origin" });
  } catch {
    return { kind: "retry_later", error: networkError() };
  }
  if (res.status === 200) {
    const body = (await res.json()) as { accessToken: string };
    setAccessToken(body.accessToken);
    return { kind: "token", token: body.accessToken };
  }
  const error = toApiError(res, await readBody(res));
  if (isTemporary(error)) return { kind: "retry_later", error };
  setAccessToken(null);
  return { kind: "signed_out" };
}

/** One refresh at a time in this tab (concurrent callers share it) and across tabs. */
export function renewSession(): Promise<Renewal> {
  renewing ??= oneTabAtATime(fetchRenewal).finally(() => {
    renewing = null;
  });
  return renewing;
}

/** The new access token, or null when signed out; after a temporary failure, the token we have. */
export async function refreshToken(): Promise<string | null> {
  const renewal = await renewSession();
  if (renewal.kind === "token") return renewal.token;
  return renewal.kind === "signed_out" ? null : accessToken;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Sent as is (application/octet-stream): a file to upload, streamed by the browser. */
  rawBody?: Blob;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  keepalive?: boolean;
  retry?: boolean;
  /** A successful answer is bytes (an export archive), returned as a Blob. */
  asBlob?: boolean;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { res, body } = await send(path, options);
  if (res.ok) return body as T;
  if (res.status === 401 && options.retry !== false && !path.startsWith("/api/auth/login")) {
    const renewal = await renewSession();
    if (renewal.kind === "token") return request<T>(path, { ...options, retry: false });
    if (renewal.kind === "retry_later") throw renewal.error;
  }
  throw toApiError(res, body);
}

function toApiError(res: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  const retryAfter = Number(res.headers.get("retry-after") ?? Number.NaN);
  return new ApiError(
    res.status,
    error?.code ?? `http_${res.status}`,
    error?.message ?? res.statusText,
    error?.details,
    Number.isFinite(retryAfter) ? retryAfter : undefined,
  );
}

const networkError = () => new ApiError(0, "network", "Cannot reach the server. Check your connection.");

/** The response's JSON, or null (no body, or not JSON). */
async function readBody(res: Response): Promise<unknown> {
  const text = res.status === 204 ? "" : await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Like request() but also returns the response (for ETag). */
async function send(path: string, options: RequestOptions): Promise<{ res: Response; body: unknown }> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let payload: BodyInit | undefined;
  if (options.body instanceof Blob) {
    // A JSON file the user picked: sent as it is, never parsed here.
    headers["Content-Type"] = "application/json";
    payload = options.body;
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(options.body);
  } else if (options.rawBody) {
    headers["Content-Type"] = "application/octet-stream";
    payload = options.rawBody;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      body: payload,
      credentials: "same-origin",
      signal: options.signal,
      keepalive: options.keepalive,
    });
  } catch (cause) {
    if ((cause as Error)?.name === "AbortError") throw cause;
    throw networkError();
  }
  return { res, body: options.asBlob && res.ok ? await res.blob() : await readBody(res) };
}

/** Request options for a JSON body. */
export const json = (method: string, body?: unknown): RequestOptions => ({ method, body });

/** Every page of a cursor-paginated list. */
export async function allPages<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return items;
}
