// File names and types of attachments: what a client says is cleaned, what is served is decided here.
//
// Names: the last path segment only (no directories, so no traversal when a name becomes a download's
// file name), NFC, no control, format or bidi-override characters (NUL, CR/LF, U+202E…), no leading or
// trailing dots and spaces, at most 255 characters. Types: only the first bytes count; an image in
// INLINE_IMAGE_TYPES (no SVG: it can carry script) is shown inline, everything else is a download.

export const MAX_NAME_LENGTH = 255;

// C0/C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates, zero-width and BOM.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The name to store, or "" when nothing usable is left. */
export function sanitizeName(raw: string): string {
  const lastSegment = raw.replace(LONE_SURROGATE, "").split(/[/\\]/).pop() ?? "";
  const cleaned = lastSegment.normalize("NFC").replace(UNSAFE, "").replace(/\s+/g, " ");
  const trimmed = cleaned.replace(/^[\s.]+|[\s.]+$/g, "");
  const chars = [...trimmed];
  if (chars.length <= MAX_NAME_LENGTH) return trimmed;
  // Keep the extension when cutting (report….pdf).
  const dot = trimmed.lastIndexOf(".");
  const extension = dot > 0 && trimmed.length - dot <= 16 ? [...trimmed.slice(dot)] : [];
  return [...chars.slice(0, MAX_NAME_LENGTH - extension.length - 1), "…", ...extension].join("");
}

/** RFC 5987 value characters (attr-char); everything else is percent-encoded UTF-8. */
const encodeRfc5987 = (value: string) =>
  encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * `attachment` (or `inline`) with an ASCII fallback `filename` for old clients and the exact name in
 * `filename*` (RFC 6266 / RFC 5987). Quotes and backslashes never reach the quoted string.
 */
export function contentDisposition(name: string, inline: boolean): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  return `${inline ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}

export const INLINE_IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export type InlineImageType = (typeof INLINE_IMAGE_TYPES)[number];

const startsWith = (bytes: Uint8Array, signature: number[], at = 0) =>
  signature.every((byte, i) => bytes[at + i] === byte);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** The allowed image type the first bytes are (magic numbers), or null. */
export function sniffImageType(head: Uint8Array): InlineImageType | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(head, ascii("GIF87a")) || startsWith(head, ascii("GIF89a"))) return "image/gif";
  if (startsWith(head, ascii("RIFF")) && startsWith(head, ascii("WEBP"), 8)) return "image/webp";
  return null;
}
