// Request bodies: JSON only, at most maxBytes (counted while streaming, so chunked uploads without a
// Content-Length are limited too), valid UTF-8, no NUL characters and no lone UTF-16 surrogates.
// The parsed text is handed to Hono's body cache, where @hono/zod-validator reads it.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ApiError(413, "payload_too_large", `request body exceeds ${maxBytes} bytes`);
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

/** Returns the JSON path of the first string (key or value) with a NUL or a lone surrogate. */
export function findBadString(
  value: unknown,
  path: (string | number)[] = [],
): (string | number)[] | undefined {
  const bad = (text: string) => text.includes("\u0000") || !text.isWellFormed();
  if (typeof value === "string") return bad(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findBadString(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (bad(key)) return [...path, key];
      const found = findBadString(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

export function jsonBody(options: { maxBytes: number }): MiddlewareHandler<AppEnv> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return async function jsonBodyMiddleware(c, next) {
    const raw = c.req.raw;
    if (!METHODS_WITH_BODY.has(c.req.method) || raw.body === null) return next();
    const declared = Number(c.req.header("content-length") ?? Number.NaN);
    if (declared > options.maxBytes) {
      throw new ApiError(413, "payload_too_large", `request body exceeds ${options.maxBytes} bytes`);
    }
    const bytes = await readLimited(raw.body, options.maxBytes);
    if (bytes.byteLength === 0) return next();
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new ApiError(415, "unsupported_media_type", "request body must be application/json");
    }
    let text: string;
    let parsed: unknown;
    try {
      text = decoder.decode(bytes);
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(400, "malformed_json", "request body is not valid JSON");
    }
    const badPath = findBadString(parsed);
    if (badPath) {
      throw new ApiError(
        422,
        "invalid_characters",
        "text may not contain NUL characters or unpaired surrogates",
        [{ path: badPath, message: "invalid characters" }],
      );
    }
    // Hono reads bodyCache entries as promises at run time although its type says otherwise.
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    await next();
  };
}
