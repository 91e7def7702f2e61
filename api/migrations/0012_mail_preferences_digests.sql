-- Per-kind mail preferences and the daily digest. Expand-only: two columns with defaults on
-- notification_preferences (the previous version's INSERT of its two reminder switches still works and
-- gets the defaults) and one new table.
--
-- mail_enabled: false stops every notification mail (reminders included; the inbox is unchanged).
-- mail_delivery: per notification kind, 'immediately' | 'digest' | 'off'; only what the user chose is
-- stored, a kind left out has the default in api/src/preferences/schemas.ts (checked by the API).
ALTER TABLE notification_preferences
  ADD COLUMN mail_enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN mail_delivery jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(mail_delivery) = 'object');

-- One row per digest a user was sent (or is being sent): the notifications in (after_id, through_id].
-- The next digest starts after the last through_id, so nothing is mailed twice and nothing skipped.
CREATE TABLE mail_digests (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  day date NOT NULL,
  after_id bigint NOT NULL,
  through_id bigint NOT NULL CHECK (through_id > after_id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, day)
);
