-- Revocation of access tokens and dashboard sessions: every token and session carries the version it was
-- issued under, and the API refuses those of an older version. A password change, a deactivation and an
-- API logout bump it.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
