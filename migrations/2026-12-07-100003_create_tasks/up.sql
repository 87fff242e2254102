-- The CRM's tasks (follow-ups, calls to make), as the front end writes them. The platform reads them to
-- tell assignees when one falls due (`notify.task_due`, hourly).
CREATE TABLE tasks (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    due_at TIMESTAMPTZ,
    priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done', 'cancelled')),
    assigned_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE CASCADE,
    person_id BIGINT REFERENCES people (id) ON DELETE CASCADE,
    -- Set when the assignee was told it fell due; cleared when the due date moves.
    due_notified_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX tasks_due_idx ON tasks (due_at)
    WHERE due_notified_at IS NULL AND status IN ('todo', 'in_progress');
CREATE INDEX tasks_assignee_idx ON tasks (assigned_user_id, due_at);

CREATE TRIGGER tasks_set_updated_at BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A task whose due date moves may fall due again.
CREATE FUNCTION tasks_reset_due_notice() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.due_notified_at := NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER tasks_due_moved BEFORE UPDATE OF due_at ON tasks
    FOR EACH ROW WHEN (NEW.due_at IS DISTINCT FROM OLD.due_at)
    EXECUTE FUNCTION tasks_reset_due_notice();
