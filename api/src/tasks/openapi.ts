// The task routes as OpenAPI operations, from the schemas they validate with (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import {
  createTaskBody,
  listTasksQuery,
  moveTaskBody,
  taskPage,
  taskSchema,
  updateTaskBody,
} from "./schemas.ts";

export const taskOperations: Operation[] = [
  {
    tag: "tasks",
    method: "get",
    path: "/api/tasks",
    summary: "List, filter and search tasks",
    auth: true,
    query: listTasksQuery,
    response: taskPage,
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
];
