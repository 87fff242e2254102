DROP INDEX job_history_actor_finished_at_idx;
ALTER TABLE job_history DROP COLUMN resource;
ALTER TABLE job_history DROP COLUMN actor_user_id;
