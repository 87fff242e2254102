DROP TABLE job_history;
