// The comment routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { commentList, commentSchema, createCommentBody, updateCommentBody } from "./schemas.ts";

export const commentOperations: Operation[] = [
  {
    tag: "comments",
    method: "get",
    path: "/api/tasks/{id}/comments",
    summary: "A task's comments, oldest first",
    auth: true,
    response: commentList,
  },
  {
    tag: "comments",
    method: "post",
    path: "/api/tasks/{id}/comments",
    summary: "Comment on a task (any member, viewers included); Markdown, mentions as @[name](user:<id>)",
    auth: true,
    body: createCommentBody,
    response: commentSchema,
    status: 201,
  },
  {
    tag: "comments",
    method: "patch",
    path: "/api/tasks/{id}/comments/{commentId}",
    summary: "Edit one's own comment",
    auth: true,
    body: updateCommentBody,
    response: commentSchema,
  },
  {
    tag: "comments",
    method: "delete",
    path: "/api/tasks/{id}/comments/{commentId}",
    summary: "Delete a comment (its author, or a project owner)",
    auth: true,
    status: 204,
  },
];
