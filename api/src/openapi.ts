// OpenAPI 3.1 document generated from the zod schemas the routes validate with. A test checks that
// every route the app serves is described here, so the two cannot drift apart.
import { z } from "zod";
import {
  authResult,
  changePasswordBody,
  loginBody,
  registerBody,
  sessionSchema,
  userSchema,
} from "./auth/schemas.ts";
import { eventsQuery, ticketResponse } from "./events/schemas.ts";
import {
  addMemberBody,
  createProjectBody,
  memberSchema,
  projectSchema,
  updateMemberBody,
  updateProjectBody,
} from "./projects/schemas.ts";
import { createTaskBody, listTasksQuery, moveTaskBody, taskSchema, updateTaskBody } from "./tasks/schemas.ts";
import { exportDocument, importQuery, importResult } from "./transfer/schemas.ts";

interface Operation {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  auth?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  response?: z.ZodType;
  status?: number;
  /** A second success answer without a body, e.g. 204 for "nothing to do". */
  noContent?: string;
  tag: string;
}

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
const list = (item: z.ZodType) => z.object({ items: z.array(item) });

export const OPERATIONS: Operation[] = [
  { tag: "health", method: "get", path: "/api/health", summary: "Liveness (no I/O)" },
  { tag: "health", method: "get", path: "/api/ready", summary: "Readiness: PostgreSQL and Redis reachable" },
  {
    tag: "auth",
    method: "post",
    path: "/api/auth/register",
    summary: "Create an account",
    body: registerBody,
    response: authResult,
    status: 201,
  },
  {
    tag: "auth",
    method: "post",
    path: "/api/auth/login",
    summary: "Sign in",
    body: loginBody,
    response: authResult,
  },
  {
    tag: "auth",
    method: "post",
    path: "/api/auth/refresh",
    summary: "New access token from the refresh cookie (rotates it)",
    response: z.object({ accessToken: z.string() }),
    noContent: "No refresh cookie: the visitor is not signed in",
  },
  { tag: "auth", method: "post", path: "/api/auth/logout", summary: "End this session", status: 204 },
  {
    tag: "auth",
    method: "get",
    path: "/api/auth/me",
    summary: "The signed-in user",
    auth: true,
    response: z.object({ user: userSchema }),
  },
  {
    tag: "auth",
    method: "get",
    path: "/api/auth/sessions",
    summary: "My sessions",
    auth: true,
    response: list(sessionSchema),
  },
  {
    tag: "auth",
    method: "delete",
    path: "/api/auth/sessions",
    summary: "Sign out all other sessions",
    auth: true,
    status: 204,
  },
  {
    tag: "auth",
    method: "delete",
    path: "/api/auth/sessions/{id}",
    summary: "Sign out one session",
    auth: true,
    status: 204,
  },
  {
    tag: "auth",
    method: "post",
    path: "/api/auth/password",
    summary: "Change password (signs out other sessions)",
    auth: true,
    body: changePasswordBody,
    status: 204,
  },
  {
    tag: "projects",
    method: "get",
    path: "/api/projects",
    summary: "My projects",
    auth: true,
    response: list(projectSchema),
  },
  {
    tag: "projects",
    method: "post",
    path: "/api/projects",
    summary: "Create a project",
    auth: true,
    body: createProjectBody,
    response: projectSchema,
    status: 201,
  },
  {
    tag: "projects",
    method: "get",
    path: "/api/projects/{id}",
    summary: "One project",
    auth: true,
    response: projectSchema,
  },
  {
    tag: "projects",
    method: "patch",
    path: "/api/projects/{id}",
    summary: "Rename or describe (owner)",
    auth: true,
    body: updateProjectBody,
    response: projectSchema,
  },
  {
    tag: "projects",
    method: "delete",
    path: "/api/projects/{id}",
    summary: "Delete with its tasks (owner)",
    auth: true,
    status: 204,
  },
  {
    tag: "members",
    method: "get",
    path: "/api/projects/{id}/members",
    summary: "Members",
    auth: true,
    response: list(memberSchema),
  },
  {
    tag: "members",
    method: "post",
    path: "/api/projects/{id}/members",
    summary: "Invite by email (owner)",
    auth: true,
    body: addMemberBody,
    response: memberSchema,
    status: 201,
  },
  {
    tag: "members",
    method: "patch",
    path: "/api/projects/{id}/members/{userId}",
    summary: "Change role (owner)",
    auth: true,
    body: updateMemberBody,
    response: memberSchema,
  },
  {
    tag: "members",
    method: "delete",
    path: "/api/projects/{id}/members/{userId}",
    summary: "Remove a member or leave",
    auth: true,
    status: 204,
  },
  {
    tag: "tasks",
    method: "get",
    path: "/api/tasks",
    summary: "List, filter and search tasks",
    auth: true,
    query: listTasksQuery,
    response: z.object({ items: z.array(taskSchema), nextCursor: z.string().nullable() }),
  },
  {
    tag: "tasks",
    method: "post",
    path: "/api/tasks",
    summary: "Create a task (editor)",
    auth: true,
    body: createTaskBody,
    response: taskSchema,
    status: 201,
  },
  {
    tag: "tasks",
    method: "get",
    path: "/api/tasks/{id}",
    summary: "One task (ETag = version)",
    auth: true,
    response: taskSchema,
  },
  {
    tag: "tasks",
    method: "patch",
    path: "/api/tasks/{id}",
    summary: "Edit a task; If-Match for optimistic concurrency",
    auth: true,
    body: updateTaskBody,
    response: taskSchema,
  },
  {
    tag: "tasks",
    method: "delete",
    path: "/api/tasks/{id}",
    summary: "Delete a task",
    auth: true,
    status: 204,
  },
  {
    tag: "tasks",
    method: "post",
    path: "/api/tasks/{id}/move",
    summary: "Move on the board",
    auth: true,
    body: moveTaskBody,
    response: taskSchema,
  },
  {
    tag: "transfer",
    method: "get",
    path: "/api/export",
    summary: "Export my projects and tasks",
    auth: true,
    response: exportDocument,
  },
  {
    tag: "transfer",
    method: "post",
    path: "/api/import",
    summary: "Import an export document: as a copy, or restoring its projects in place; dryRun=true previews",
    auth: true,
    query: importQuery,
    body: exportDocument,
    response: importResult,
    status: 201,
  },
  {
    tag: "events",
    method: "post",
    path: "/api/events/ticket",
    summary: "A single-use ticket (30 s) to open the event stream without a token in the URL",
    auth: true,
    response: ticketResponse,
    status: 201,
  },
  {
    tag: "events",
    method: "get",
    path: "/api/events",
    summary:
      "Server-Sent Events of my projects (Authorization header or ?ticket=; Last-Event-ID resumes); ends when the token expires or the session ends",
    auth: true,
    query: eventsQuery,
  },
  { tag: "meta", method: "get", path: "/api/openapi.json", summary: "This document" },
];

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
      responses: {
        [success]: op.response
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
