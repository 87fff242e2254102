-- RGPD (GDPR): who accessed whose data, the data subjects' requests (Art. 15/17/20), the ledger of
-- erasures that a restore replays, and the monthly compliance reports.

-- One row per access to personal data through the API. Ids only: the caller's IP is a keyed hash, and the
-- row outlives the user and the subject it names (no foreign keys), since it is the trace of the access.
CREATE TABLE data_access_logs (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    user_id BIGINT,
    action TEXT NOT NULL CHECK (action IN ('read', 'export', 'update', 'delete', 'anonymise')),
    entity_type TEXT NOT NULL
        CHECK (entity_type IN ('person', 'organisation', 'interaction', 'user', 'mailbox')),
    -- NULL for a listing.
    entity_id BIGINT,
    route TEXT NOT NULL,
    ip_hash TEXT,
    user_agent TEXT,
    request_id TEXT
);

CREATE INDEX data_access_logs_at_idx ON data_access_logs (at);
CREATE INDEX data_access_logs_entity_idx ON data_access_logs (entity_type, entity_id, at DESC);
CREATE INDEX data_access_logs_user_idx ON data_access_logs (user_id, at DESC);

-- A data subject's request: an export (Art. 15/20) or an erasure (Art. 17) of a person of the CRM or of a
-- user account. The legal deadline runs from requested_at (one month).
CREATE TABLE rgpd_requests (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('export', 'erasure')),
    subject_type TEXT NOT NULL CHECK (subject_type IN ('person', 'user')),
    subject_id BIGINT NOT NULL,
    requested_by BIGINT,
    state TEXT NOT NULL
        CHECK (state IN ('awaiting_confirmation', 'queued', 'running', 'done', 'failed', 'cancelled')),
    reason TEXT,
    job_id TEXT,
    requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    error TEXT,
    -- Export: the link works until link_expires_at, once.
    link_expires_at TIMESTAMPTZ,
    downloaded_at TIMESTAMPTZ,
    -- Rows exported or erased per table.
    counts JSONB NOT NULL DEFAULT '{}'
);

CREATE INDEX rgpd_requests_requested_at_idx ON rgpd_requests (requested_at);
CREATE INDEX rgpd_requests_subject_idx ON rgpd_requests (subject_type, subject_id);
CREATE INDEX rgpd_requests_requested_by_idx ON rgpd_requests (requested_by, requested_at DESC);

-- The export archive until it is downloaded or its link expires.
CREATE TABLE rgpd_export_files (
    request_id BIGINT PRIMARY KEY REFERENCES rgpd_requests (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every erasure, written before it acts: ids and keyed hashes of the identifiers, never the data. Also
-- appended to the ledger file kept beside the backups, which a restore replays.
CREATE TABLE erasure_ledger (
    id BIGSERIAL PRIMARY KEY,
    subject_type TEXT NOT NULL CHECK (subject_type IN ('person', 'user')),
    subject_id BIGINT NOT NULL,
    identifier_hashes TEXT[] NOT NULL DEFAULT '{}',
    reason TEXT NOT NULL CHECK (reason IN ('request', 'inactive')),
    request_id BIGINT,
    erased_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (subject_type, subject_id)
);

CREATE TABLE rgpd_reports (
    id BIGSERIAL PRIMARY KEY,
    period_start DATE NOT NULL UNIQUE,
    period_end DATE NOT NULL,
    generated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    figures JSONB NOT NULL,
    html TEXT NOT NULL,
    pdf BYTEA NOT NULL
);

ALTER TABLE people ADD COLUMN anonymised_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN anonymised_at TIMESTAMPTZ;
