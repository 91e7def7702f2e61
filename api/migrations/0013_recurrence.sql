-- Recurring tasks and the user's time zone (expand-only: nullable columns and one new table; the
-- previous API version neither reads nor writes them, and its task writes leave them as they are).
--
-- A repeating task carries its rule as an RFC 5545 RRULE value (FREQ=WEEKLY;BYDAY=MO,…, validated by
-- the API with the rrule library), what the next occurrence counts from ('due' or 'completion') and
-- the IANA zone its occurrences are computed in. COUNT is what remains of the series, this task
-- included: the next occurrence gets COUNT - 1, so every task is complete on its own (export/import).
-- The CHECKs hold for every existing row (all null): NOT VALID spares the scan under the lock.
ALTER TABLE tasks
  ADD COLUMN recurrence_rule text CHECK (char_length(recurrence_rule) BETWEEN 1 AND 500),
  ADD COLUMN recurrence_from text CHECK (recurrence_from IN ('due', 'completion')),
  ADD COLUMN recurrence_time_zone text CHECK (char_length(recurrence_time_zone) BETWEEN 1 AND 64),
  ADD CONSTRAINT tasks_recurrence_whole CHECK (
    (recurrence_rule IS NULL) = (recurrence_from IS NULL)
    AND (recurrence_rule IS NULL) = (recurrence_time_zone IS NULL)) NOT VALID;

-- The guard that makes "completing a repeating task creates its next occurrence" happen once per
-- task: the row is inserted (ON CONFLICT DO NOTHING) in the completion's transaction before the new
-- task, so two replicas or two quick clicks create one occurrence, and completing, reopening and
-- completing again creates none.
CREATE TABLE task_recurrences (
  task_id uuid PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  next_task_id uuid REFERENCES tasks (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The zone a user's dates are shown and computed in (null: UTC); validated by the API (Intl).
ALTER TABLE notification_preferences
  ADD COLUMN time_zone text CHECK (char_length(time_zone) BETWEEN 1 AND 64);
