-- Background jobs, outgoing mail and notification preferences (expand-only: new tables, nothing the
-- previous API version reads or writes is changed).
--
-- jobs: a PostgreSQL job queue. Every job has a unique idempotency key, so enqueueing the same work
-- twice (two replicas' schedulers at the same moment, a retried request) adds it once. Workers claim
-- with FOR UPDATE SKIP LOCKED and a lease (locked_until, PostgreSQL's clock): a job whose replica died
-- is claimed again once the lease has passed.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 100),
  key text NOT NULL UNIQUE CHECK (char_length(key) BETWEEN 1 AND 500),
  payload jsonb NOT NULL DEFAULT '{}',
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts >= 1),
  locked_until timestamptz,
  locked_by text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz,
  -- Given up after max_attempts, or a permanent error (an address the server refuses).
  failed_at timestamptz
);
-- What the workers claim from: jobs still to do, by the time they are due.
CREATE INDEX jobs_pending_idx ON jobs (run_at, id) WHERE done_at IS NULL AND failed_at IS NULL;
-- Finished jobs are removed after a retention period; their keys keep duplicates out until then.
CREATE INDEX jobs_finished_idx ON jobs (coalesce(done_at, failed_at)) WHERE done_at IS NOT NULL OR failed_at IS NOT NULL;

-- One row per mail ever handed to the SMTP server, by the idempotency key of the mail: 'sending' is
-- committed before the SMTP transaction starts, 'sent' right after the server accepted the message.
-- A second attempt finds 'sent' and sends nothing. See docs/architecture.md "Mail and background jobs".
CREATE TABLE mail_outbox (
  key text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 500),
  kind text NOT NULL,
  message_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  -- While 'sending': no other attempt starts before this (the send timeout is shorter).
  sending_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);

-- Per-user mail preferences. No row: the defaults (everything on).
CREATE TABLE notification_preferences (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  due_soon_reminders boolean NOT NULL DEFAULT true,
  overdue_reminders boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);
