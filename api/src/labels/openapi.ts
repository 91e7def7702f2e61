// The label routes as OpenAPI operations, from the schemas they validate with (assembled by ../openapi.ts).
import { list, type Operation } from "../http/operation.ts";
import { createLabelBody, labelSchema, updateLabelBody } from "./schemas.ts";

export const labelOperations: Operation[] = [
  {
    tag: "labels",
    method: "get",
    path: "/api/projects/{id}/labels",
    summary: "The project's labels",
    auth: true,
    response: list(labelSchema),
  },
  {
    tag: "labels",
    method: "post",
    path: "/api/projects/{id}/labels",
    summary: "Create a label (owner)",
    auth: true,
    body: createLabelBody,
    response: labelSchema,
    status: 201,
  },
  {
    tag: "labels",
    method: "patch",
    path: "/api/projects/{id}/labels/{labelId}",
    summary: "Rename or recolour a label, on every task (owner)",
    auth: true,
    body: updateLabelBody,
    response: labelSchema,
  },
  {
    tag: "labels",
    method: "delete",
    path: "/api/projects/{id}/labels/{labelId}",
    summary: "Delete a label, taking it off every task (owner)",
    auth: true,
    status: 204,
  },
];
