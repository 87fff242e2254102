-- Who enqueued each job (NULL: the system, i.e. cron schedules and fan-out) and what it touched
-- (`email_account:7`, `interaction:12`, `platform`): the dashboard's history shows users their own jobs,
-- managers their team's and admins every job. Rows written before this migration have no actor, so only
-- admins see them.
ALTER TABLE job_history ADD COLUMN actor_user_id BIGINT;
ALTER TABLE job_history ADD COLUMN resource TEXT;

-- A user's or a team's history, newest first. Jobs of the system are not indexed: admins read the whole
-- table through the finished_at index.
CREATE INDEX job_history_actor_finished_at_idx ON job_history (actor_user_id, finished_at DESC)
    WHERE actor_user_id IS NOT NULL;
