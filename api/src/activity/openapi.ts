// The activity routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { activityPage, activityQuery } from "./schemas.ts";

export const activityOperations: Operation[] = [
  {
    tag: "activity",
    method: "get",
    path: "/api/tasks/{id}/activity",
    summary: "A task's history, newest first (members)",
    auth: true,
    query: activityQuery,
    response: activityPage,
  },
  {
    tag: "activity",
    method: "get",
    path: "/api/projects/{id}/activity",
    summary: "The project's activity feed, newest first (members)",
    auth: true,
    query: activityQuery,
    response: activityPage,
  },
];
