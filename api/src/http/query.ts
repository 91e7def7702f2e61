// Query strings get the same character rule as bodies: NUL or a lone surrogate in any parameter name
// or value is a 422, instead of reaching PostgreSQL (which refuses NUL in text with a 500-worthy error).
import type { MiddlewareHandler } from "hono";
import { hasBadCharacters } from "./body.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export function cleanQuery(): MiddlewareHandler<AppEnv> {
  return async function cleanQueryMiddleware(c, next) {
    // Parsed text can only hold NUL or a lone surrogate if the query spells it with a percent escape
    // (or carries a raw NUL): most requests skip parsing their parameters here.
    const url = c.req.url;
    const start = url.indexOf("?");
    if (start === -1 || (!url.includes("%", start) && !url.includes("\u0000", start))) return next();
    for (const [name, values] of Object.entries(c.req.queries())) {
      if (hasBadCharacters(name) || values.some(hasBadCharacters)) {
        throw new ApiError(
          422,
          "invalid_characters",
          "text may not contain NUL characters or unpaired surrogates",
          [{ path: name, message: "invalid characters", code: "invalid_characters" }],
        );
      }
    }
    await next();
  };
}
