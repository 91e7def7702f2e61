// Comments on tasks: Markdown text in which a mention is written @[name](user:<uuid>); the ids are
// what counts (the web shows the member's current name), and are kept in comment_mentions.
import { z } from "zod";

export const MAX_COMMENT_LENGTH = 10_000;
const codePoints = (value: string) => [...value].length;

export const commentBodySchema = z
  .string()
  .trim()
  .min(1, "is required")
  .refine((value) => codePoints(value) <= MAX_COMMENT_LENGTH, "must be at most 10,000 characters");

/** @[shown name](user:<uuid>): the name is what the author saw; the id is the mention. */
export const MENTION_PATTERN = /@\[([^\]\n]{0,100})\]\(user:([0-9a-fA-F-]{36})\)/g;

/** The distinct user ids a text mentions, lower case. */
export function mentionedIds(text: string): string[] {
  return [...new Set([...text.matchAll(MENTION_PATTERN)].map((match) => (match[2] ?? "").toLowerCase()))];
}

export const commentParam = z.object({ id: z.uuid(), commentId: z.uuid() });
export const createCommentBody = z.strictObject({ body: commentBodySchema });
export const updateCommentBody = z.strictObject({ body: commentBodySchema });

export const commentSchema = z.object({
  id: z.uuid(),
  taskId: z.uuid(),
  authorId: z.uuid().nullable(),
  authorName: z.string().nullable(),
  body: z.string(),
  mentions: z.array(z.uuid()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const commentList = z.object({ items: z.array(commentSchema) });

export type Comment = z.infer<typeof commentSchema>;
