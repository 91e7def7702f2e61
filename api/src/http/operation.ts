// One documented route. Each feature lists the operations of its routes beside them
// (<feature>/openapi.ts, built from its schemas.ts); ../openapi.ts assembles the document.
import { z } from "zod";

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  auth?: boolean;
  body?: z.ZodType;
  /** The request body is raw bytes (an attachment upload), not JSON. */
  binaryBody?: boolean;
  /** The success answer is raw bytes (an attachment's content), not JSON. */
  binaryResponse?: boolean;
  /** The media type of the raw bytes (default application/octet-stream). */
  binaryType?: string;
  query?: z.ZodObject;
  response?: z.ZodType;
  status?: number;
  /** A second success answer without a body, e.g. 204 for "nothing to do". */
  noContent?: string;
  tag: string;
}

/** The `{ items: [...] }` answer of a list route. */
export const list = (item: z.ZodType) => z.object({ items: z.array(item) });
