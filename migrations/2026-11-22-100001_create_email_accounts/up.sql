-- Mailboxes synchronised into the CRM. IMAP accounts carry their server settings; Gmail and Outlook
-- accounts are reached through their APIs (or IMAP with XOAUTH2) with OAuth tokens.
CREATE TABLE email_accounts (
    id BIGSERIAL PRIMARY KEY,
    owner_user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL CHECK (provider IN ('imap', 'gmail', 'outlook')),
    address TEXT NOT NULL,
    imap_host TEXT,
    imap_port INTEGER CHECK (imap_port BETWEEN 1 AND 65535),
    imap_security TEXT CHECK (imap_security IN ('tls', 'starttls', 'none')),
    -- `login` sends the password with LOGIN; `xoauth2` sends an OAuth access token (Gmail, Outlook IMAP).
    imap_auth TEXT NOT NULL DEFAULT 'login' CHECK (imap_auth IN ('login', 'xoauth2')),
    username TEXT,
    -- AES-256-GCM under MAIL_ENCRYPTION_KEY: 12-byte nonce || ciphertext+tag. Holds the IMAP password or
    -- the OAuth token JSON. Never returned by the API, never logged.
    secret_ciphertext BYTEA,
    -- Expiry of the OAuth access token held in the secret (NULL for passwords).
    token_expires_at TIMESTAMPTZ,
    folders TEXT[] NOT NULL DEFAULT '{INBOX,Sent}',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    needs_reconsent BOOLEAN NOT NULL DEFAULT FALSE,
    last_sync_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT email_accounts_imap_settings CHECK (
        provider <> 'imap'
        OR (imap_host IS NOT NULL AND imap_port IS NOT NULL AND imap_security IS NOT NULL)
    )
);

-- One account per owner and address whatever its case.
CREATE UNIQUE INDEX email_accounts_owner_address_key ON email_accounts (owner_user_id, lower(address));
CREATE INDEX email_accounts_active_idx ON email_accounts (active) WHERE active;

CREATE TRIGGER email_accounts_set_updated_at BEFORE UPDATE ON email_accounts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
