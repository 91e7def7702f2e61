// Request bodies: JSON only, at most maxBytes (counted while streaming, so chunked uploads without a
// Content-Length are limited too), nested at most MAX_JSON_DEPTH levels (checked before parsing), valid
// UTF-8, no NUL characters and no lone UTF-16 surrogates.
// The parsed text is handed to Hono's body cache, where @hono/zod-validator reads it.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const bodyTooLarge = (maxBytes: number) =>
  new ApiError(413, "payload_too_large", `request body exceeds ${maxBytes} bytes`);

/** The whole body, refused with `tooLarge()` as soon as it passes maxBytes. */
export async function readLimited(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error = () => bodyTooLarge(maxBytes),
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** How deep JSON may nest; real bodies (tasks, an export) use 5 levels. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether JSON text nests deeper than `max`, in one pass over the raw bytes and before anything parses
 * it (the structural characters are ASCII, so UTF-8 sequences never look like them). Brackets inside
 * strings are skipped; malformed text is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (OPEN.has(byte)) {
      if (++depth > max) return true;
    } else if (CLOSE.has(byte)) depth--;
  }
  return false;
}

type Path = (string | number)[];

/** Text PostgreSQL cannot store (NUL) or that is not valid Unicode (a lone UTF-16 surrogate). */
export const hasBadCharacters = (text: string) => text.includes("\u0000") || !text.isWellFormed();

/**
 * Returns the JSON path of the first string (key or value) with a NUL or a lone surrogate. Walks with
 * an explicit stack: no recursion, and a path is only built for the string that is reported.
 */
export function findBadString(value: unknown): Path | undefined {
  interface Frame {
    value: unknown;
    parent?: Frame;
    key?: string | number;
  }
  const pathOf = (frame: Frame, last?: string): Path => {
    const path: Path = last === undefined ? [] : [last];
    for (let at: Frame | undefined = frame; at?.parent; at = at.parent) path.push(at.key as string | number);
    return path.reverse();
  };
  const stack: Frame[] = [{ value }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const current = frame.value;
    if (typeof current === "string") {
      if (hasBadCharacters(current)) return pathOf(frame);
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], parent: frame, key: i });
    } else if (current !== null && typeof current === "object") {
      const entries = Object.entries(current);
      for (const [key] of entries) if (hasBadCharacters(key)) return pathOf(frame, key);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown];
        stack.push({ value: item, parent: frame, key });
      }
    }
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON bytes as text and value, refused (4xx) when nested too deep, not JSON, or holding bad characters. */
export function decodeJson(bytes: Uint8Array): { text: string; value: unknown } {
  if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) {
    throw new ApiError(422, "too_deep", `JSON may nest at most ${MAX_JSON_DEPTH} levels deep`);
  }
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "malformed_json", "request body is not valid JSON");
  }
  const badPath = findBadString(value);
  if (badPath) {
    throw new ApiError(
      422,
      "invalid_characters",
      "text may not contain NUL characters or unpaired surrogates",
      [{ path: badPath, message: "invalid characters" }],
    );
  }
  return { text, value };
}

export function jsonBody(options: {
  maxBytes: number;
  /** Routes that read their own (non-JSON) body and enforce their own limit: attachment uploads, imports. */
  streamed?: (c: Context<AppEnv>) => boolean;
}): MiddlewareHandler<AppEnv> {
  return async function jsonBodyMiddleware(c, next) {
    const raw = c.req.raw;
    if (!METHODS_WITH_BODY.has(c.req.method) || raw.body === null || options.streamed?.(c)) return next();
    const declared = Number(c.req.header("content-length") ?? Number.NaN);
    if (declared > options.maxBytes) throw bodyTooLarge(options.maxBytes);
    const bytes = await readLimited(raw.body, options.maxBytes);
    if (bytes.byteLength === 0) return next();
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new ApiError(415, "unsupported_media_type", "request body must be application/json");
    }
    const { text } = decodeJson(bytes);
    // Hono reads bodyCache entries as promises at run time although its type says otherwise.
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    await next();
  };
}
