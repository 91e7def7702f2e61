-- Invitations by e-mail and password resets (expand-only: two new tables; nothing the previous API
-- version reads or writes changes).
--
-- Tokens are never stored. A link's token is HMAC(server key, purpose:id:nonce): the job that mails it
-- derives it again from the row's nonce and the server key (so no token sits in a job payload either),
-- and a presented token is found by its SHA-256 (token_hash). A new nonce (a re-sent invitation) makes
-- every older link of the row dead.
CREATE TABLE invitations (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254),
  role member_role NOT NULL,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  token_hash text NOT NULL UNIQUE CHECK (char_length(token_hash) = 64),
  token_nonce text NOT NULL CHECK (char_length(token_nonce) BETWEEN 16 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at timestamptz
);
-- One pending invitation per address and project: inviting again re-sends it.
CREATE UNIQUE INDEX invitations_pending_idx ON invitations (project_id, email)
  WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE password_resets (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE CHECK (char_length(token_hash) = 64),
  token_nonce text NOT NULL CHECK (char_length(token_nonce) BETWEEN 16 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
