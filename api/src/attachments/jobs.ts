// The removal of an attachment's bytes, queued by migration 0015's trigger in the transaction that
// deleted its row (the attachment's own delete, or its task's or project's cascade). Removing what is
// already gone succeeds, so a job that runs twice is harmless.
import type { JobHandler } from "../jobs/worker.ts";
import { PermanentJobError } from "../jobs/worker.ts";
import { type BlobStore, isStorageKey } from "./storage.ts";

export const REMOVE_BLOB_JOB = "attachment.remove-blob";

export const removeBlobHandler =
  (blobs: BlobStore): JobHandler =>
  async (job) => {
    const key = (job.payload as { storageKey?: unknown }).storageKey;
    if (typeof key !== "string" || !isStorageKey(key))
      throw new PermanentJobError("no storage key in the payload");
    await blobs.remove(key);
  };
