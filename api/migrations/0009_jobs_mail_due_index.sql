-- migrate: no-transaction
-- The reminder scan (reminders/repository.ts): open tasks with a due date, by due date. Built
-- CONCURRENTLY so task writes go on while it is built.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_open_due_idx ON tasks (due_at)
  WHERE due_at IS NOT NULL AND status <> 'done' AND archived_at IS NULL;
