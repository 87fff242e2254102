DROP INDEX job_history_dead_finished_at_idx;
CREATE INDEX job_history_state_finished_at_idx ON job_history (state, finished_at DESC);
