-- Every finished job adds a row, and every row went into four indexes. The (state, finished_at) index only
-- serves the dashboard's "dead" filter (a "succeeded" filter matches nearly every row and reads the
-- finished_at index): a partial index over dead rows serves it and costs succeeded rows nothing.
DROP INDEX job_history_state_finished_at_idx;
CREATE INDEX job_history_dead_finished_at_idx ON job_history (finished_at DESC) WHERE state = 'dead';
