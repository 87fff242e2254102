-- Conversations: messages linked by Message-ID / In-Reply-To / References (JWZ). A thread outlives the
-- account it came from (account_id set NULL) so the CRM history keeps it.
CREATE TABLE email_threads (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT REFERENCES email_accounts (id) ON DELETE SET NULL,
    root_message_id TEXT NOT NULL,
    -- Subject without Re:/Fwd:/TR:/... prefixes and list tags.
    subject TEXT NOT NULL DEFAULT '',
    last_message_at TIMESTAMPTZ,
    message_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX email_threads_account_last_idx ON email_threads (account_id, last_message_at DESC);

CREATE TRIGGER email_threads_set_updated_at BEFORE UPDATE ON email_threads
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
