CREATE TABLE backups (
    id BIGSERIAL PRIMARY KEY,
    file_name TEXT NOT NULL UNIQUE,
    size_bytes BIGINT,
    sha256 TEXT,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error TEXT,
    -- row count per table at dump time, compared by the restore check
    table_counts JSONB,
    verified_at TIMESTAMPTZ,
    verify_result TEXT CHECK (verify_result IN ('ok', 'mismatch', 'failed')),
    verify_details JSONB
);

CREATE INDEX backups_status_started_at_idx ON backups (status, started_at DESC);
