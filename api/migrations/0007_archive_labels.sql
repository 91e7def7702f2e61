-- Archive and managed labels, expand step. Tasks and projects get archived_at (NULL: not archived);
-- each project gets a `labels` table (name and colour from the palette in api/src/labels/palette.ts).
-- tasks.labels (text[] of names) stays the source the API reads and writes, so the previous API
-- version keeps working: a trigger adds every name a task write uses to the project's labels (default
-- colour), whoever writes it. Renames and deletes are applied to tasks.labels by this version
-- (labels/service.ts). Nothing here is dropped, renamed or made NOT NULL without a default.

ALTER TABLE projects ADD COLUMN archived_at timestamptz;
ALTER TABLE tasks ADD COLUMN archived_at timestamptz;

-- The board and the default list (position order) skip archived tasks on an index of their own:
-- archived rows never enter it, so a project with many archived tasks lists as fast as one without.
CREATE INDEX tasks_active_position_idx ON tasks (project_id, position, id) WHERE archived_at IS NULL;
-- The Archived view: a project's archived tasks, most recently archived first.
CREATE INDEX tasks_archived_idx ON tasks (project_id, archived_at DESC, id) WHERE archived_at IS NOT NULL;

CREATE TABLE labels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  -- The limits of a task's label (tasks/schemas.ts: 1–50 characters).
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
  color text NOT NULL DEFAULT 'slate'
    CHECK (color IN ('slate', 'red', 'orange', 'amber', 'green', 'teal', 'blue', 'indigo', 'purple', 'pink')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

-- Every distinct free-text label of a project becomes a managed label with the default colour.
INSERT INTO labels (project_id, name)
SELECT DISTINCT t.project_id, l.name FROM tasks t CROSS JOIN LATERAL unnest(t.labels) AS l (name)
WHERE char_length(l.name) BETWEEN 1 AND 50
ON CONFLICT DO NOTHING;

-- A task written with a label name the project does not have yet (the previous version, an import, or
-- an editor tagging with a new name) creates it. Task writers lock the project row first, so two
-- writers of one project never race here.
CREATE FUNCTION tasks_add_labels() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO labels (project_id, name)
  SELECT NEW.project_id, l.name FROM unnest(NEW.labels) AS l (name)
  WHERE char_length(l.name) BETWEEN 1 AND 50
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_add_labels_on_insert AFTER INSERT ON tasks
FOR EACH ROW WHEN (cardinality(NEW.labels) > 0) EXECUTE FUNCTION tasks_add_labels();
CREATE TRIGGER tasks_add_labels_on_update AFTER UPDATE OF labels, project_id ON tasks
FOR EACH ROW WHEN (NEW.labels IS DISTINCT FROM OLD.labels OR NEW.project_id IS DISTINCT FROM OLD.project_id)
EXECUTE FUNCTION tasks_add_labels();
