// A task's attachments: /api/tasks/:id/attachments. Uploads send the file itself as the body (the
// browser streams it); downloads and thumbnails use the signed `url` each attachment comes with.
import { request } from "./http";
import type { Attachment, AttachmentList } from "./types";

export const attachmentsApi = {
  list: (taskId: string) => request<AttachmentList>(`/api/tasks/${taskId}/attachments`),
  upload: (taskId: string, file: File) =>
    request<Attachment>(`/api/tasks/${taskId}/attachments?name=${encodeURIComponent(file.name)}`, {
      method: "POST",
      rawBody: file,
    }),
  remove: (taskId: string, attachmentId: string) =>
    request<void>(`/api/tasks/${taskId}/attachments/${attachmentId}`, { method: "DELETE" }),
};
