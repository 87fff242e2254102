-- Stored emails. Stored once per account and Message-ID (a synthetic id derived from the content when the
-- header is missing): re-syncs, overlapping folders and retries insert nothing twice. The body is purged
-- after MAIL_RETENTION_DAYS; the metadata stays for the CRM history.
CREATE TABLE interactions (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT REFERENCES email_accounts (id) ON DELETE SET NULL,
    folder TEXT NOT NULL,
    -- IMAP UID in `folder` (NULL for API providers and imports).
    uid BIGINT,
    -- Gmail / Graph message id (NULL for IMAP).
    provider_id TEXT,
    message_id TEXT NOT NULL,
    in_reply_to TEXT,
    -- The References header, oldest first (named so because REFERENCES is an SQL keyword).
    message_references TEXT[] NOT NULL DEFAULT '{}',
    from_address TEXT,
    from_name TEXT,
    to_addresses TEXT[] NOT NULL DEFAULT '{}',
    cc_addresses TEXT[] NOT NULL DEFAULT '{}',
    subject TEXT,
    sent_at TIMESTAMPTZ,
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    body_text TEXT,
    body_purged_at TIMESTAMPTZ,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    thread_id BIGINT REFERENCES email_threads (id) ON DELETE SET NULL,
    parent_message_id TEXT,
    -- The counterpart matched by address (case-insensitive): the sender of inbound mail, the first
    -- known recipient of outbound mail.
    person_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
    -- Why the content was not stored: `oversized` or `malformed` (metadata only).
    skipped_reason TEXT CHECK (skipped_reason IN ('oversized', 'malformed')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT interactions_account_message_key UNIQUE (account_id, message_id)
);

CREATE INDEX interactions_thread_idx ON interactions (thread_id);
CREATE INDEX interactions_person_idx ON interactions (person_id);
CREATE INDEX interactions_account_sent_idx ON interactions (account_id, sent_at DESC);
CREATE INDEX interactions_from_lower_idx ON interactions (lower(from_address));
-- Threading looks up messages sharing a referenced id.
CREATE INDEX interactions_references_idx ON interactions USING GIN (message_references);
CREATE INDEX interactions_parent_idx ON interactions (account_id, parent_message_id);
-- Retention scans bodies still present by date.
CREATE INDEX interactions_body_retention_idx ON interactions (sent_at) WHERE body_text IS NOT NULL;
