// /api/tasks/:id/attachments: list (members), upload (editors; the raw request body is the file, its
// name in ?name=), one attachment's metadata, delete (editors). /api/attachments/:attachmentId/content:
// the bytes, for a signed link (links.ts) — streamed by the API, or by nginx after the API authorised
// (X-Accel-Redirect, when ATTACHMENTS_ACCEL_REDIRECT is set). Use cases: service.ts.

import type { Context } from "hono";
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { notFound } from "../http/errors.ts";
import { validate } from "../http/validate.ts";
import { taskIdParam } from "../tasks/schemas.ts";
import { contentDisposition } from "./files.ts";
import { validLink } from "./links.ts";
import { attachmentParam, downloadParam, downloadQuery, uploadQuery } from "./schemas.ts";
import { createAttachmentService } from "./service.ts";

/** The upload route, whose body is the file (not JSON): app.ts lets it through the JSON body check. */
export const UPLOAD_PATH = /^\/api\/tasks\/[^/]+\/attachments$/;
export const isAttachmentUpload = (c: Context) => c.req.method === "POST" && UPLOAD_PATH.test(c.req.path);

export function attachmentRoutes(deps: Deps, publish: Publish) {
  const attachments = createAttachmentService(deps, publish);
  return new Hono<AppEnv>()
    .get("/:id/attachments", validate("param", taskIdParam), async (c) => {
      return c.json(await attachments.list(c.get("user").id, c.req.valid("param").id));
    })
    .post("/:id/attachments", validate("param", taskIdParam), validate("query", uploadQuery), async (c) => {
      const length = c.req.header("content-length");
      const attachment = await attachments.upload(c.get("user").id, c.req.valid("param").id, {
        name: c.req.valid("query").name,
        body: c.req.raw.body,
        declaredBytes: length && /^\d+$/.test(length) ? Number(length) : undefined,
        signal: c.req.raw.signal,
      });
      return c.json(attachment, 201);
    })
    .get("/:id/attachments/:attachmentId", validate("param", attachmentParam), async (c) => {
      const { id, attachmentId } = c.req.valid("param");
      return c.json(await attachments.get(c.get("user").id, id, attachmentId));
    })
    .delete("/:id/attachments/:attachmentId", validate("param", attachmentParam), async (c) => {
      const { id, attachmentId } = c.req.valid("param");
      await attachments.remove(c.get("user").id, id, attachmentId);
      return c.body(null, 204);
    });
}

export function attachmentDownloadRoutes(deps: Deps, publish: Publish) {
  const attachments = createAttachmentService(deps, publish);
  const { config, blobs, metrics } = deps;
  const accel = config.attachments.accelRedirect;
  return new Hono<AppEnv>().get(
    "/:attachmentId/content",
    validate("param", downloadParam),
    validate("query", downloadQuery),
    async (c) => {
      const { attachmentId } = c.req.valid("param");
      const link = c.req.valid("query");
      // A bad or expired signature, another user's attachment, a project one left: all the same 404.
      if (!validLink(config.jwtSecret, attachmentId, link)) throw notFound("attachment");
      const row = await attachments.readable(link.u, attachmentId);
      const headers = new Headers({
        "Content-Type": row.imageType ?? "application/octet-stream",
        "Content-Disposition": contentDisposition(row.name, row.imageType !== null),
        "X-Content-Type-Options": "nosniff",
        // Opened on its own, a file may do nothing (no script, no plugin, no form), even if a browser sniffed it.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "private, max-age=300",
      });
      metrics.attachmentBytes.inc({ direction: "download" }, row.size);
      if (accel && blobs.servesFiles) {
        headers.set("X-Accel-Redirect", `${accel}${row.storageKey}`);
        return new Response(null, { status: 200, headers });
      }
      const body = await blobs.get(row.storageKey);
      if (!body) throw notFound("attachment");
      headers.set("Content-Length", String(row.size));
      return new Response(body, { status: 200, headers });
    },
  );
}
