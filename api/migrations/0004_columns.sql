-- Status → per-project columns, expand step. Each project gets a `columns` table row per status kind,
-- and each task a column_id filled from its status. The API keeps reading status; it writes status and
-- column_id together. The previous API version, which knows nothing of columns, keeps working: the
-- triggers below create a new project's columns and fill a task's column_id from its status whenever a
-- write leaves it out. Nothing here is NOT NULL without a default, renamed or dropped; the contract
-- step (reads from column_id, status derived from the column's kind) drops the triggers.

CREATE TYPE column_kind AS ENUM ('todo', 'in_progress', 'done');

CREATE TABLE columns (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  kind column_kind NOT NULL,
  -- A sort key with gaps, like tasks.position.
  position double precision NOT NULL,
  -- Target of the tasks' (project_id, column_id) key: a task's column is always of its own project.
  UNIQUE (project_id, id)
);
-- A status's column: the first of its kind in the project.
CREATE INDEX columns_project_kind_idx ON columns (project_id, kind, position);

CREATE FUNCTION add_default_columns(project uuid) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO columns (project_id, name, kind, position)
  VALUES (project, 'To do', 'todo', 1024), (project, 'In progress', 'in_progress', 2048), (project, 'Done', 'done', 3072)
$$;

SELECT add_default_columns(id) FROM projects;

CREATE FUNCTION projects_add_default_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM add_default_columns(NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER projects_add_default_columns AFTER INSERT ON projects
FOR EACH ROW EXECUTE FUNCTION projects_add_default_columns();

-- Nullable, and composite so a task cannot point at another project's column. NO ACTION (checked at
-- the end of the statement) lets a project's delete cascade to its columns and tasks together. No index
-- yet: the key's checks find a project's tasks through the indexes led by project_id, and every task
-- write would pay for one; the board by column (contract step) brings it, built concurrently.
ALTER TABLE tasks ADD COLUMN column_id uuid;
ALTER TABLE tasks ADD CONSTRAINT tasks_column_fk FOREIGN KEY (project_id, column_id) REFERENCES columns (project_id, id);

UPDATE tasks SET column_id = c.id
FROM columns c WHERE c.project_id = tasks.project_id AND c.kind = tasks.status::text::column_kind;

-- Writes that leave column_id out (the previous version's INSERT, or an UPDATE that changes the status
-- alone) get the column of the status. A write that sets column_id itself is left as it is.
CREATE FUNCTION tasks_column_from_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.column_id IS NULL
     OR (TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status AND NEW.column_id IS NOT DISTINCT FROM OLD.column_id) THEN
    NEW.column_id := (SELECT c.id FROM columns c
                      WHERE c.project_id = NEW.project_id AND c.kind = NEW.status::text::column_kind
                      ORDER BY c.position, c.id LIMIT 1);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tasks_column_from_status BEFORE INSERT OR UPDATE OF status, column_id ON tasks
FOR EACH ROW EXECUTE FUNCTION tasks_column_from_status();
