-- The in-app inbox and task watchers. Expand-only: two new tables, nothing the previous API version
-- reads or writes changes. A notification is written in the transaction of what caused it
-- (notifications/service.ts `notify`); it goes with its user, its project and its task (cascade).

CREATE TABLE notifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('assigned', 'mentioned', 'commented', 'due_soon', 'overdue', 'added_to_project')),
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  task_id uuid REFERENCES tasks (id) ON DELETE CASCADE,
  -- Who caused it; null for the scheduler's reminders (and for a deleted account).
  actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
  data jsonb NOT NULL DEFAULT '{}',
  -- Set by callers that must write a notification at most once (a reminder: kind, task and due date);
  -- a second insert with the same key for the same user does nothing.
  dedupe_key text CHECK (char_length(dedupe_key) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz
);
-- "My unread, newest first" (the header's count and the inbox's Unread filter), and the whole inbox.
CREATE INDEX notifications_unread_idx ON notifications (user_id, id DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE UNIQUE INDEX notifications_dedupe_idx ON notifications (user_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
-- For the cascades.
CREATE INDEX notifications_project_idx ON notifications (project_id);
CREATE INDEX notifications_task_idx ON notifications (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX notifications_actor_idx ON notifications (actor_id) WHERE actor_id IS NOT NULL;

-- Who follows a task's comments besides its assignee: people who watch it, or commented on it.
CREATE TABLE task_watchers (
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, user_id)
);
CREATE INDEX task_watchers_user_idx ON task_watchers (user_id);
