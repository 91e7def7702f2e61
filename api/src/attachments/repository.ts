// Attachments: SQL only, the queryable first.
import type { Queryable } from "../db/client.ts";
import type { InlineImageType } from "./files.ts";

export interface AttachmentRow {
  id: string;
  projectId: string;
  taskId: string;
  name: string;
  size: number;
  imageType: InlineImageType | null;
  uploaderId: string | null;
  uploaderName: string | null;
  storageKey: string;
  createdAt: Date;
}

const select = (db: Queryable) => db`
  SELECT a.id, a.project_id, a.task_id, a.name, a.size::float8 AS size, a.image_type, a.uploader_id,
    u.name AS uploader_name, a.storage_key, a.created_at
  FROM attachments a LEFT JOIN users u ON u.id = a.uploader_id`;

export const listAttachments = (db: Queryable, taskId: string) =>
  db<AttachmentRow[]>`${select(db)} WHERE a.task_id = ${taskId} ORDER BY a.created_at, a.id`;

export async function findAttachment(db: Queryable, taskId: string, attachmentId: string) {
  const [row] = await db<
    AttachmentRow[]
  >`${select(db)} WHERE a.id = ${attachmentId} AND a.task_id = ${taskId}`;
  return row;
}

/** The attachment, if `userId` is a member of its project (any role). */
export async function findReadableAttachment(db: Queryable, attachmentId: string, userId: string) {
  const [row] = await db<AttachmentRow[]>`${select(db)}
    WHERE a.id = ${attachmentId}
      AND EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = a.project_id AND m.user_id = ${userId})`;
  return row;
}

/** Bytes the project's attachments take. */
export async function projectUsage(db: Queryable, projectId: string): Promise<number> {
  const [row] = await db<{ bytes: number }[]>`
    SELECT coalesce(sum(size), 0)::float8 AS bytes FROM attachments WHERE project_id = ${projectId}`;
  return row?.bytes ?? 0;
}

/** Serialises the quota check of concurrent uploads to one project (without touching tasks_version). */
export const lockProjectForQuota = (tx: Queryable, projectId: string) =>
  tx`SELECT 1 FROM projects WHERE id = ${projectId} FOR NO KEY UPDATE`;

export async function insertAttachment(
  tx: Queryable,
  row: Omit<AttachmentRow, "createdAt" | "uploaderName">,
): Promise<void> {
  await tx`
    INSERT INTO attachments (id, project_id, task_id, uploader_id, name, size, image_type, storage_key)
    VALUES (${row.id}, ${row.projectId}, ${row.taskId}, ${row.uploaderId}, ${row.name}, ${row.size},
      ${row.imageType}, ${row.storageKey})`;
}

/** Deletes the row; the table's trigger queues the removal of its bytes in this transaction. */
export const deleteAttachment = (tx: Queryable, attachmentId: string) =>
  tx`DELETE FROM attachments WHERE id = ${attachmentId}`;
