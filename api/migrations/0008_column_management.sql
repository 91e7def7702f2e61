-- Columns managed per project (issue 18), still expand-only: the previous API version (which reads and
-- writes status, and lets the 0004 trigger fill column_id) keeps working against this schema. Nothing is
-- dropped, renamed or made NOT NULL without a default.
--
-- done: moving a task into a done column sets completed_at, out of it clears it. Defaults from the
-- kind (the existing "Done" columns are done). Adding a NOT NULL column with a constant default is a
-- catalogue change only (no table rewrite).
ALTER TABLE columns ADD COLUMN done boolean NOT NULL DEFAULT false;
UPDATE columns SET done = true WHERE kind = 'done';

-- Optional work-in-progress limit, shown and warned about on the board (never refused).
ALTER TABLE columns ADD COLUMN wip_limit integer CHECK (wip_limit BETWEEN 1 AND 1000);

-- New projects' default "Done" column is a done column, whichever API version creates the project.
CREATE OR REPLACE FUNCTION add_default_columns(project uuid) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO columns (project_id, name, kind, position, done)
  VALUES (project, 'To do', 'todo', 1024, false), (project, 'In progress', 'in_progress', 2048, false),
         (project, 'Done', 'done', 3072, true)
$$;

-- Both directions between status and column_id:
-- * a write that leaves column_id out (the previous version's INSERT, or an UPDATE that changes status
--   alone, to a kind its column is not of) gets the first column of the status's kind, as in 0004;
-- * a write that sets column_id (this version moving a task between columns) gets the column's kind as
--   its status, so status always means "the kind of the task's column" for every reader.
CREATE OR REPLACE FUNCTION tasks_column_from_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.column_id IS NULL
     OR (TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status AND NEW.column_id IS NOT DISTINCT FROM OLD.column_id
         AND (SELECT c.kind::text FROM columns c WHERE c.id = NEW.column_id) IS DISTINCT FROM NEW.status::text) THEN
    NEW.column_id := (SELECT c.id FROM columns c
                      WHERE c.project_id = NEW.project_id AND c.kind = NEW.status::text::column_kind
                      ORDER BY c.position, c.id LIMIT 1);
  ELSIF TG_OP = 'INSERT' OR NEW.column_id IS DISTINCT FROM OLD.column_id THEN
    NEW.status := coalesce((SELECT c.kind::text::task_status FROM columns c
                            WHERE c.id = NEW.column_id AND c.project_id = NEW.project_id), NEW.status);
  END IF;
  RETURN NEW;
END $$;

-- A column's kind may change (owners choose it); the statuses of its tasks follow in the same statement.
CREATE FUNCTION columns_kind_to_tasks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tasks SET status = NEW.kind::text::task_status
  WHERE project_id = NEW.project_id AND column_id = NEW.id AND status::text <> NEW.kind::text;
  RETURN NULL;
END $$;
CREATE TRIGGER columns_kind_to_tasks AFTER UPDATE OF kind ON columns
FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind) EXECUTE FUNCTION columns_kind_to_tasks();
