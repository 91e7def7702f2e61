// Attachments of tasks: metadata as JSON; the bytes go up as the raw request body and come down from a
// signed URL (links.ts), which an <a download> or <img> can open without an Authorization header.
import { z } from "zod";
import { INLINE_IMAGE_TYPES } from "./files.ts";

export const attachmentParam = z.object({ id: z.uuid(), attachmentId: z.uuid() });
export const uploadQuery = z.object({
  name: z.string().min(1, "is required: the file's name").max(1000, "must be at most 1,000 characters"),
});
export const downloadParam = z.object({ attachmentId: z.uuid() });
export const downloadQuery = z.object({
  u: z.uuid(),
  e: z.string().regex(/^\d{1,12}$/),
  s: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export const attachmentSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  taskId: z.uuid(),
  name: z.string(),
  size: z.number().int(),
  /** Set for the images shown inline (sniffed from the bytes); null for every other file. */
  imageType: z.enum(INLINE_IMAGE_TYPES).nullable(),
  uploaderId: z.uuid().nullable(),
  uploaderName: z.string().nullable(),
  createdAt: z.iso.datetime(),
  /** The bytes, for the signed-in user, until `urlExpiresAt` (then list again). */
  url: z.string(),
  urlExpiresAt: z.iso.datetime(),
});
export const attachmentList = z.object({
  items: z.array(attachmentSchema),
  /** Bytes the project's attachments take, and its quota. */
  usage: z.object({ bytes: z.number().int(), quotaBytes: z.number().int(), maxFileBytes: z.number().int() }),
});

export type Attachment = z.infer<typeof attachmentSchema>;
export type AttachmentList = z.infer<typeof attachmentList>;
