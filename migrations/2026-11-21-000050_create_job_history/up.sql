-- Durable summaries of finished jobs (Redis keeps live state; this keeps history across Redis and API
-- restarts for the dashboard). One row per job, updated when a requeued job finishes again.
CREATE TABLE job_history (
    job_id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    queue TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('succeeded', 'dead')),
    attempts INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ NOT NULL,
    duration_ms BIGINT,
    last_error TEXT,
    request_id TEXT
);

CREATE INDEX job_history_finished_at_idx ON job_history (finished_at DESC);
CREATE INDEX job_history_queue_finished_at_idx ON job_history (queue, finished_at DESC);
CREATE INDEX job_history_state_finished_at_idx ON job_history (state, finished_at DESC);
