-- Users, projects with role-based membership, and tasks ordered on a board.

CREATE TYPE member_role AS ENUM ('viewer', 'editor', 'owner');
CREATE TYPE task_status AS ENUM ('todo', 'in_progress', 'done');
CREATE TYPE task_priority AS ENUM ('low', 'medium', 'high', 'urgent');

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  -- Bumped in the same transaction as every task write: versions the task-list cache keys.
  tasks_version bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE project_members (
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role member_role NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user_idx ON project_members (user_id);

CREATE TABLE tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
  status task_status NOT NULL DEFAULT 'todo',
  priority task_priority NOT NULL DEFAULT 'medium',
  due_at timestamptz,
  labels text[] NOT NULL DEFAULT '{}' CHECK (cardinality(labels) <= 20),
  assignee_id uuid REFERENCES users (id) ON DELETE SET NULL,
  position double precision NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED
);
-- Board order and the default list sort; also serves status filters.
CREATE INDEX tasks_board_idx ON tasks (project_id, status, position, id);
CREATE INDEX tasks_position_idx ON tasks (project_id, position, id);
CREATE INDEX tasks_created_idx ON tasks (project_id, created_at, id);
CREATE INDEX tasks_updated_idx ON tasks (project_id, updated_at, id);
CREATE INDEX tasks_due_idx ON tasks (project_id, due_at, id);
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id);
CREATE INDEX tasks_search_idx ON tasks USING gin (search);
CREATE INDEX tasks_labels_idx ON tasks USING gin (labels);
