-- Where each folder's incremental sync stands: IMAP UIDVALIDITY and last UID seen, Gmail's historyId,
-- Microsoft Graph's deltaLink. `folder` is the decoded (UTF-8) folder name.
CREATE TABLE email_folder_state (
    account_id BIGINT NOT NULL REFERENCES email_accounts (id) ON DELETE CASCADE,
    folder TEXT NOT NULL,
    uidvalidity BIGINT,
    last_uid BIGINT NOT NULL DEFAULT 0,
    history_id TEXT,
    delta_link TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, folder)
);

CREATE TRIGGER email_folder_state_set_updated_at BEFORE UPDATE ON email_folder_state
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
