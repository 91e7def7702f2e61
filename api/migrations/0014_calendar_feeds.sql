-- Private calendar feeds (expand-only: one new table; nothing the previous API version reads or writes
-- changes).
--
-- One feed per user. The secret in the feed's URL is 256 random bits shown once; only its SHA-256 is
-- stored (token_hash), so a database dump gives no usable URL. Regenerating replaces the hash (the old
-- URL is dead at once); revoking deletes the row.
CREATE TABLE calendar_feeds (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE CHECK (char_length(token_hash) = 64),
  assigned_only boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
