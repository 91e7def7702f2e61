// OpenAPI 3.1 document generated from the zod schemas the routes validate with. Each feature describes
// its own routes (<feature>/openapi.ts); this file assembles them. A test checks that every route the
// app serves is described, so the two cannot drift apart.
import { z } from "zod";
import { activityOperations } from "./activity/openapi.ts";
import { attachmentOperations } from "./attachments/openapi.ts";
import { authOperations } from "./auth/openapi.ts";
import { calendarOperations } from "./calendar/openapi.ts";
import { calendarFeedOperations } from "./calendar-feed/openapi.ts";
import { checklistOperations } from "./checklists/openapi.ts";
import { columnOperations } from "./columns/openapi.ts";
import { commentOperations } from "./comments/openapi.ts";
import { eventOperations } from "./events/openapi.ts";
import { healthOperations } from "./health/openapi.ts";
import type { Operation } from "./http/operation.ts";
import { invitationOperations } from "./invitations/openapi.ts";
import { labelOperations } from "./labels/openapi.ts";
import { notificationOperations } from "./notifications/openapi.ts";
import { preferenceOperations } from "./preferences/openapi.ts";
import { projectOperations } from "./projects/openapi.ts";
import { taskOperations } from "./tasks/openapi.ts";
import { transferOperations } from "./transfer/openapi.ts";
import { trelloOperations } from "./trello/openapi.ts";

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const OPERATIONS: Operation[] = [
  ...healthOperations,
  ...authOperations,
  ...projectOperations,
  ...columnOperations,
  ...invitationOperations,
  ...labelOperations,
  ...taskOperations,
  ...checklistOperations,
  ...commentOperations,
  ...attachmentOperations,
  ...activityOperations,
  ...notificationOperations,
  ...transferOperations,
  ...trelloOperations,
  ...eventOperations,
  ...preferenceOperations,
  ...calendarOperations,
  ...calendarFeedOperations,
  { tag: "meta", method: "get", path: "/api/openapi.json", summary: "This document" },
];

const BINARY = { schema: { type: "string", contentMediaType: "application/octet-stream" } };

const jsonSchema = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" });

export function buildOpenApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const queryParams = op.query
      ? Object.entries(op.query.shape).map(([name, schema]) => ({
          name,
          in: "query",
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: jsonSchema(schema as z.ZodType, "input"),
        }))
      : [];
    const success = op.status ?? 200;
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = {
      tags: [op.tag],
      summary: op.summary,
      ...(op.auth ? { security: [{ bearer: [] }] } : {}),
      ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: jsonSchema(op.body, "input") } },
            },
          }
        : {}),
      ...(op.binaryBody
        ? {
            requestBody: {
              required: true,
              content: { [op.binaryType ?? "application/octet-stream"]: BINARY },
            },
          }
        : {}),
      responses: {
        [success]: op.binaryResponse
          ? { description: "The bytes", content: { [op.binaryType ?? "application/octet-stream"]: BINARY } }
          : op.response
            ? {
                description: "OK",
                content: { "application/json": { schema: jsonSchema(op.response, "output") } },
              }
            : { description: "OK" },
        ...(op.noContent ? { 204: { description: op.noContent } } : {}),
        default: {
          description: "Error",
          content: { "application/json": { schema: jsonSchema(errorSchema, "output") } },
        },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "TaskPlatform API", version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    paths,
  };
}
