DROP TABLE tasks;
DROP FUNCTION tasks_reset_due_notice();
