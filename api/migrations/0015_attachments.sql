-- Files attached to tasks. Expand-only: one new table and a trigger on it; nothing the previous API
-- version reads or writes changes. The bytes live outside PostgreSQL (attachments/storage.ts: a
-- directory or an S3 bucket) under `storage_key`; this row is the only thing that points to them.
CREATE TABLE attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  uploader_id uuid REFERENCES users (id) ON DELETE SET NULL,
  -- The sanitised file name (attachments/names.ts): no controls, no slashes, at most 255 characters.
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
  size bigint NOT NULL CHECK (size >= 0),
  -- Set only when the first bytes are one of the images served inline (sniffed, never the client's word).
  image_type text CHECK (image_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
  storage_key text NOT NULL UNIQUE CHECK (storage_key ~ '^[0-9a-f-]{36}/[0-9a-f-]{36}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_task_idx ON attachments (task_id, created_at, id);
-- The quota sum and the project cascade.
CREATE INDEX attachments_project_idx ON attachments (project_id);
CREATE INDEX attachments_uploader_idx ON attachments (uploader_id) WHERE uploader_id IS NOT NULL;

-- Whatever deletes rows (an attachment's DELETE, a task's or project's cascade, any API version)
-- queues the removal of their bytes in the same transaction: a job per row, keyed by its id, run by the
-- job worker after the commit (attachments/jobs.ts). A rolled-back delete queues nothing; a replica
-- that dies after the commit leaves the job for another.
CREATE FUNCTION attachments_queue_blob_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO jobs (kind, key, payload)
  SELECT 'attachment.remove-blob', 'attachment.remove-blob:' || gone.id,
         jsonb_build_object('storageKey', gone.storage_key)
  FROM gone
  ON CONFLICT (key) DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER attachments_blob_removal AFTER DELETE ON attachments
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION attachments_queue_blob_removal();
