// The checklist and task-count routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import {
  checklistItemSchema,
  checklistSchema,
  createChecklistItemBody,
  moveChecklistItemBody,
  taskCountsList,
  updateChecklistItemBody,
} from "./schemas.ts";

export const checklistOperations: Operation[] = [
  {
    tag: "checklists",
    method: "get",
    path: "/api/tasks/{id}/checklist",
    summary: "A task's checklist, in order",
    auth: true,
    response: checklistSchema,
  },
  {
    tag: "checklists",
    method: "post",
    path: "/api/tasks/{id}/checklist",
    summary: "Add a checklist item at the end (editor; at most 200 per task)",
    auth: true,
    body: createChecklistItemBody,
    response: checklistItemSchema,
    status: 201,
  },
  {
    tag: "checklists",
    method: "patch",
    path: "/api/tasks/{id}/checklist/{itemId}",
    summary: "Edit or tick a checklist item (editor)",
    auth: true,
    body: updateChecklistItemBody,
    response: checklistItemSchema,
  },
  {
    tag: "checklists",
    method: "post",
    path: "/api/tasks/{id}/checklist/{itemId}/move",
    summary: "Move a checklist item to a 0-based index (editor); answers the new order",
    auth: true,
    body: moveChecklistItemBody,
    response: checklistSchema,
  },
  {
    tag: "checklists",
    method: "delete",
    path: "/api/tasks/{id}/checklist/{itemId}",
    summary: "Delete a checklist item (editor)",
    auth: true,
    status: 204,
  },
  {
    tag: "checklists",
    method: "get",
    path: "/api/projects/{id}/task-counts",
    summary: "Checklist progress and comment counts of the project's tasks that have any",
    auth: true,
    response: taskCountsList,
  },
];
