// The attachment routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { attachmentList, attachmentSchema, downloadQuery, uploadQuery } from "./schemas.ts";

export const attachmentOperations: Operation[] = [
  {
    tag: "attachments",
    method: "get",
    path: "/api/tasks/{id}/attachments",
    summary: "A task's attachments (oldest first) with download links, and the project's usage and quota",
    auth: true,
    response: attachmentList,
  },
  {
    tag: "attachments",
    method: "post",
    path: "/api/tasks/{id}/attachments",
    summary:
      "Attach a file (editors): the request body is the file's bytes, ?name= its name; over ATTACHMENTS_MAX_BYTES or the project's quota → 413",
    auth: true,
    query: uploadQuery,
    binaryBody: true,
    response: attachmentSchema,
    status: 201,
  },
  {
    tag: "attachments",
    method: "get",
    path: "/api/tasks/{id}/attachments/{attachmentId}",
    summary: "One attachment, with a fresh download link",
    auth: true,
    response: attachmentSchema,
  },
  {
    tag: "attachments",
    method: "delete",
    path: "/api/tasks/{id}/attachments/{attachmentId}",
    summary: "Delete an attachment (editors); its bytes are removed by a background job",
    auth: true,
    status: 204,
  },
  {
    tag: "attachments",
    method: "get",
    path: "/api/attachments/{attachmentId}/content",
    summary:
      "The bytes, for a signed link from the list (valid 15 minutes, for a current member): Content-Disposition attachment, inline only for PNG/JPEG/GIF/WebP sniffed from the bytes",
    query: downloadQuery,
    binaryResponse: true,
  },
];
