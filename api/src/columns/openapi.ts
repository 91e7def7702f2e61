// The column and board routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import {
  boardSchema,
  columnList,
  columnSchema,
  createColumnBody,
  deleteColumnQuery,
  moveColumnBody,
  updateColumnBody,
} from "./schemas.ts";

export const columnOperations: Operation[] = [
  {
    tag: "columns",
    method: "get",
    path: "/api/projects/{id}/board",
    summary: "The board: the project's columns in order and all its tasks, in one answer",
    auth: true,
    response: boardSchema,
  },
  {
    tag: "columns",
    method: "get",
    path: "/api/projects/{id}/columns",
    summary: "The project's columns in board order",
    auth: true,
    response: columnList,
  },
  {
    tag: "columns",
    method: "post",
    path: "/api/projects/{id}/columns",
    summary: "Add a column at the end (owner; at most 50)",
    auth: true,
    body: createColumnBody,
    response: columnSchema,
    status: 201,
  },
  {
    tag: "columns",
    method: "patch",
    path: "/api/projects/{id}/columns/{columnId}",
    summary: "Rename a column, set its kind, done flag or WIP limit (owner)",
    auth: true,
    body: updateColumnBody,
    response: columnSchema,
  },
  {
    tag: "columns",
    method: "post",
    path: "/api/projects/{id}/columns/{columnId}/move",
    summary: "Reorder: the column goes to index `position` (owner); answers every column in order",
    auth: true,
    body: moveColumnBody,
    response: columnList,
  },
  {
    tag: "columns",
    method: "delete",
    path: "/api/projects/{id}/columns/{columnId}",
    summary: "Delete a column (owner); its tasks go to `moveTo` (409 when it has tasks and no moveTo)",
    auth: true,
    query: deleteColumnQuery,
    status: 204,
  },
];
