-- Checklists, comments (with mentions) and the activity history. Expand-only: new tables and indexes,
-- nothing the previous API version reads or writes changes, so it keeps working against this schema.
-- Everything belongs to a task of a project and goes with the project (FK cascade).

CREATE TABLE checklist_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 500),
  done boolean NOT NULL DEFAULT false,
  -- A sort key; the service renumbers a checklist when it reorders it (200 items at most).
  position double precision NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The dialog's ordered checklist, and the board's per-project progress (joined through tasks).
CREATE INDEX checklist_items_task_idx ON checklist_items (task_id, position, id) INCLUDE (done);

CREATE TABLE comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  -- A deleted account leaves its comments, shown without an author.
  author_id uuid REFERENCES users (id) ON DELETE SET NULL,
  -- Markdown; mentions are written @[name](user:<uuid>) and listed in comment_mentions.
  body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_task_idx ON comments (task_id, created_at, id);

-- Who a comment mentions: the notifications work reads "comments mentioning me" from here.
CREATE TABLE comment_mentions (
  comment_id uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_mentions_user_idx ON comment_mentions (user_id);

-- Who changed what and when, written in the transaction of the change. A deleted task's rows stay in
-- the project's feed (task_id set null; data keeps the title); a deleted project takes its rows along.
CREATE TABLE activity (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  task_id uuid REFERENCES tasks (id) ON DELETE SET NULL,
  actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
  kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 50),
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_project_idx ON activity (project_id, id DESC);
CREATE INDEX activity_task_idx ON activity (task_id, id DESC) WHERE task_id IS NOT NULL;
CREATE INDEX activity_actor_idx ON activity (actor_id) WHERE actor_id IS NOT NULL;
