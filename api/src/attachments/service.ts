// Attachment use cases. Editors and owners attach and delete; every member lists and downloads. The
// bytes are streamed to the store before the row is written (a file that is refused or fails leaves
// no row, and its bytes are removed); the row, its activity entry and the quota check share one
// transaction, and the event is published after the commit. Deleting a row — here, or a task's or
// project's cascade — queues the removal of its bytes through the job queue (migration 0015's trigger).
import { recordActivity } from "../activity/repository.ts";
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { assertRole, assertTaskWritable, type Role } from "../projects/access.ts";
import * as tasks from "../tasks/repository.ts";
import { sanitizeName, sniffImageType } from "./files.ts";
import { downloadLink } from "./links.ts";
import * as attachments from "./repository.ts";
import type { Attachment } from "./schemas.ts";
import { BlobTooLargeError } from "./storage.ts";

/** Why an upload failed: the label of attachment_upload_failures_total. */
export const UPLOAD_FAILURE_REASONS = [
  "too_large",
  "quota_exceeded",
  "bad_name",
  "refused",
  "interrupted",
  "storage",
] as const;
export type UploadFailureReason = (typeof UPLOAD_FAILURE_REASONS)[number];

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

export interface UploadInput {
  name: string;
  body: ReadableStream<Uint8Array> | null;
  /** Content-Length, when the client sent one: refused before any byte is read if too large. */
  declaredBytes?: number;
  /** The request's abort signal: a failure after it fired is the client's doing. */
  signal: AbortSignal;
}

export function createAttachmentService({ sql, metrics, config, blobs, log }: Deps, publish: Publish) {
  const limits = config.attachments;

  const view = (row: attachments.AttachmentRow, userId: string): Attachment => {
    const link = downloadLink(config.jwtSecret, row.id, userId);
    const { storageKey: _key, createdAt, ...rest } = row;
    return { ...rest, createdAt: createdAt.toISOString(), url: link.url, urlExpiresAt: link.expiresAt };
  };

  const readTask = async (taskId: string, userId: string) => {
    const found = await tasks.getTaskWithRole(sql, taskId, userId);
    if (!found?.role) throw notFound("task");
    return { ...found, role: found.role as Role };
  };

  const tooLarge = () =>
    new ApiError(413, "payload_too_large", `a file may be at most ${mib(limits.maxBytes)}`, {
      maxBytes: limits.maxBytes,
    });
  const quotaExceeded = (used: number) =>
    new ApiError(
      413,
      "quota_exceeded",
      `the project's attachments would exceed its quota of ${mib(limits.projectQuotaBytes)} (${mib(used)} in use); delete some first`,
      { quotaBytes: limits.projectQuotaBytes, usedBytes: used },
    );

  const failure = (reason: UploadFailureReason) => metrics.attachmentUploadFailures.inc({ reason });

  /** Runs an upload step; a refusal counts as a failure with `reason`. */
  const refusedAs = async <T>(reason: UploadFailureReason, step: () => Promise<T> | T): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      failure(reason);
      throw error;
    }
  };

  return {
    async list(userId: string, taskId: string) {
      const { task } = await readTask(taskId, userId);
      const [rows, bytes] = await timed(metrics, "attachments.list", () =>
        Promise.all([
          attachments.listAttachments(sql, taskId),
          attachments.projectUsage(sql, task.projectId),
        ]),
      );
      return {
        items: rows.map((row) => view(row, userId)),
        usage: { bytes, quotaBytes: limits.projectQuotaBytes, maxFileBytes: limits.maxBytes },
      };
    },

    async get(userId: string, taskId: string, attachmentId: string) {
      await readTask(taskId, userId);
      const row = await attachments.findAttachment(sql, taskId, attachmentId);
      if (!row) throw notFound("attachment");
      return view(row, userId);
    },

    async upload(userId: string, taskId: string, input: UploadInput): Promise<Attachment> {
      const { task, role, projectArchivedAt } = await refusedAs("refused", () => readTask(taskId, userId));
      await refusedAs("refused", () => {
        assertRole(role, "editor");
        assertTaskWritable(task, projectArchivedAt);
      });
      const name = sanitizeName(input.name);
      if (!name) {
        failure("bad_name");
        throw new ApiError(422, "validation_failed", "the file name has no usable characters", [
          { path: ["name"], message: "has no usable characters" },
        ]);
      }
      if (!input.body) {
        failure("bad_name");
        throw new ApiError(422, "validation_failed", "the request body is the file's bytes; it was empty");
      }
      if (input.declaredBytes !== undefined && input.declaredBytes > limits.maxBytes) {
        failure("too_large");
        throw tooLarge();
      }
      const usedBefore = await attachments.projectUsage(sql, task.projectId);
      if (usedBefore + (input.declaredBytes ?? 0) > limits.projectQuotaBytes) {
        failure("quota_exceeded");
        throw quotaExceeded(usedBefore);
      }

      const id = crypto.randomUUID();
      const storageKey = `${task.projectId}/${id}`;
      let stored: Awaited<ReturnType<typeof blobs.put>>;
      try {
        stored = await blobs.put(storageKey, input.body, limits.maxBytes);
      } catch (error) {
        if (error instanceof BlobTooLargeError) {
          failure("too_large");
          throw tooLarge();
        }
        if (input.signal.aborted) {
          failure("interrupted");
          throw new ApiError(400, "upload_interrupted", "the upload was interrupted");
        }
        failure("storage");
        log.error("attachment not stored", { reason: (error as Error).message });
        throw new ApiError(503, "storage_unavailable", "the file could not be stored; try again shortly");
      }

      let row: attachments.AttachmentRow | undefined;
      try {
        row = await timed(metrics, "attachments.add", () =>
          sql.begin(async (tx) => {
            await attachments.lockProjectForQuota(tx, task.projectId);
            const used = await attachments.projectUsage(tx, task.projectId);
            if (used + stored.size > limits.projectQuotaBytes) throw quotaExceeded(used);
            await attachments.insertAttachment(tx, {
              id,
              projectId: task.projectId,
              taskId,
              uploaderId: userId,
              name,
              size: stored.size,
              imageType: sniffImageType(stored.head),
              storageKey,
            });
            await recordActivity(tx, {
              projectId: task.projectId,
              taskId,
              actorId: userId,
              kind: "attachment.added",
              data: { attachmentId: id, name, size: stored.size },
            });
            return attachments.findAttachment(tx, taskId, id);
          }),
        );
      } catch (error) {
        // No row points at the bytes: remove them now (the task may have been deleted meanwhile).
        await blobs
          .remove(storageKey)
          .catch((cause: Error) =>
            log.warn("attachment bytes not removed", { storageKey, reason: cause.message }),
          );
        failure(error instanceof ApiError && error.code === "quota_exceeded" ? "quota_exceeded" : "refused");
        throw error;
      }
      if (!row) throw new Error("inserted attachment not found");
      metrics.attachmentBytes.inc({ direction: "upload" }, stored.size);
      const attachment = view(row, userId);
      // Without the uploader's link: every receiver lists the task's attachments with links of its own.
      const { url: _url, urlExpiresAt: _expires, ...announced } = attachment;
      await publish({
        type: "attachment.added",
        projectId: task.projectId,
        actorId: userId,
        attachment: announced,
      });
      return attachment;
    },

    async remove(userId: string, taskId: string, attachmentId: string) {
      const { task, role, projectArchivedAt } = await readTask(taskId, userId);
      assertRole(role, "editor");
      assertTaskWritable(task, projectArchivedAt);
      await timed(metrics, "attachments.delete", () =>
        sql.begin(async (tx) => {
          const row = await attachments.findAttachment(tx, taskId, attachmentId);
          if (!row) throw notFound("attachment");
          await attachments.deleteAttachment(tx, attachmentId);
          await recordActivity(tx, {
            projectId: task.projectId,
            taskId,
            actorId: userId,
            kind: "attachment.deleted",
            data: { attachmentId, name: row.name, size: row.size },
          });
        }),
      );
      await publish({
        type: "attachment.deleted",
        projectId: task.projectId,
        actorId: userId,
        attachment: { id: attachmentId, taskId },
      });
    },

    /** The attachment behind a valid download link, if its user may still read it. */
    async readable(userId: string, attachmentId: string) {
      const row = await attachments.findReadableAttachment(sql, attachmentId, userId);
      if (!row) throw notFound("attachment");
      return row;
    },
  };
}
