// Comments and their mentions: SQL only, the queryable first.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { Comment as CommentResponse } from "./schemas.ts";

export type Comment = WithDates<CommentResponse, "createdAt" | "updatedAt">;

const select = (db: Queryable) => db`
  SELECT c.id, c.task_id, c.author_id, u.name AS author_name, c.body,
    coalesce((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM comment_mentions m WHERE m.comment_id = c.id), '{}') AS mentions,
    c.created_at, c.updated_at
  FROM comments c LEFT JOIN users u ON u.id = c.author_id`;

/** Oldest first (the newest at the end, as a conversation reads). */
export const listComments = (db: Queryable, taskId: string) =>
  db<Comment[]>`${select(db)} WHERE c.task_id = ${taskId} ORDER BY c.created_at, c.id`;

export async function findComment(db: Queryable, taskId: string, commentId: string) {
  const [comment] = await db<Comment[]>`${select(db)} WHERE c.id = ${commentId} AND c.task_id = ${taskId}`;
  return comment;
}

/** The ids among `userIds` that are not members of the project. */
export async function nonMembers(db: Queryable, projectId: string, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db<{ id: string }[]>`
    SELECT id FROM unnest(${userIds}::uuid[]) AS ids (id)
    WHERE NOT EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = ${projectId} AND m.user_id = ids.id)`;
  return rows.map((row) => row.id);
}

export async function insertComment(tx: Queryable, taskId: string, authorId: string, body: string) {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO comments (task_id, author_id, body) VALUES (${taskId}, ${authorId}, ${body}) RETURNING id`;
  if (!row) throw new Error("insert returned no row");
  return row.id;
}

export const updateCommentBody = (tx: Queryable, commentId: string, body: string) =>
  tx`UPDATE comments SET body = ${body}, updated_at = now() WHERE id = ${commentId}`;

/** Replaces the comment's mentions with `userIds`. */
export async function setMentions(tx: Queryable, commentId: string, userIds: string[]) {
  await tx`DELETE FROM comment_mentions WHERE comment_id = ${commentId}`;
  if (userIds.length > 0) {
    await tx`INSERT INTO comment_mentions (comment_id, user_id) SELECT ${commentId}, unnest(${userIds}::uuid[])`;
  }
}

export const deleteComment = (tx: Queryable, commentId: string) =>
  tx`DELETE FROM comments WHERE id = ${commentId}`;

export async function countComments(db: Queryable, taskId: string): Promise<number> {
  const [row] = await db<
    { count: number }[]
  >`SELECT count(*)::int AS count FROM comments WHERE task_id = ${taskId}`;
  return row?.count ?? 0;
}
