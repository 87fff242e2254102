-- Domain events and the webhooks they are delivered to.
--
-- `events` is an outbox: a row is written by a trigger in the transaction of the change it describes, so an
-- event exists exactly when its change committed. The workers' relay reads rows not yet relayed, creates one
-- webhook delivery per subscribed endpoint and the in-app notifications the event calls for, and marks the
-- row relayed in the same transaction. Events are thin: ids, the names of the changed columns and job
-- figures, never names, addresses or bodies (a receiver fetches the record through the API), so no personal
-- data lands here and an RGPD erasure has nothing to clean in this table.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    event_type TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    relayed_at TIMESTAMPTZ
);

CREATE INDEX events_pending_idx ON events (id) WHERE relayed_at IS NULL;
CREATE INDEX events_created_at_idx ON events (created_at);

-- A receiver of signed webhooks (Standard Webhooks 1.0). Secrets are AES-GCM sealed under
-- MAIL_ENCRYPTION_KEY; after a rotation the previous secret also signs until previous_secret_until.
CREATE TABLE webhook_endpoints (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    event_types TEXT[] NOT NULL,
    secret_enc BYTEA NOT NULL,
    previous_secret_enc BYTEA,
    previous_secret_until TIMESTAMPTZ,
    active BOOLEAN NOT NULL DEFAULT true,
    -- Why it was turned off by the platform (410 Gone, failing for too long); NULL when an admin did it.
    disabled_reason TEXT,
    disabled_at TIMESTAMPTZ,
    -- Start of the current run of failed attempts; cleared by any success.
    failing_since TIMESTAMPTZ,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (cardinality(event_types) BETWEEN 1 AND 50)
);

CREATE INDEX webhook_endpoints_event_types_idx ON webhook_endpoints USING GIN (event_types) WHERE active;

CREATE TRIGGER webhook_endpoints_set_updated_at BEFORE UPDATE ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One message to one endpoint: the body as signed (its `webhook-id` stays the same across retries).
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id BIGINT,
    message_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload JSONB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts INT NOT NULL DEFAULT 0,
    last_status INT,
    last_error TEXT,
    next_attempt_at TIMESTAMPTZ,
    job_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, event_id)
);

CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TRIGGER webhook_deliveries_set_updated_at BEFORE UPDATE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The delivery log: every attempt, automatic or replayed by an admin.
CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt INT NOT NULL,
    status INT,
    latency_ms INT NOT NULL,
    -- At most 1,000 characters of the response body (UTF-8, lossy).
    response_excerpt TEXT,
    error TEXT,
    manual BOOLEAN NOT NULL DEFAULT false,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

-- Whether the last failure of a dead job was permanent (retrying could not help) or the attempts ran out:
-- `job.failed` or `job.dead`.
ALTER TABLE job_history ADD COLUMN permanent BOOLEAN NOT NULL DEFAULT false;

-- True when an event of this type must be written: an active endpoint subscribes to it, or the relay turns
-- it into notifications (`always`).
CREATE FUNCTION event_wanted(kind TEXT, always BOOLEAN) RETURNS BOOLEAN
    LANGUAGE sql STABLE AS $$
    SELECT always OR EXISTS (
        SELECT 1 FROM webhook_endpoints WHERE active AND event_types @> ARRAY[kind]
    )
$$;

-- organisation.* and person.*: the id and the columns that changed (updated_at and field_sources aside).
CREATE FUNCTION emit_record_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    entity TEXT := TG_ARGV[0];
    kind TEXT;
    changed TEXT[];
    row_id BIGINT;
    extra JSONB := '{}';
BEGIN
    IF TG_OP = 'INSERT' THEN
        kind := entity || '.created';
        row_id := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        kind := entity || '.deleted';
        row_id := OLD.id;
    ELSE
        kind := entity || '.updated';
        row_id := NEW.id;
        SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
        FROM jsonb_each(to_jsonb(NEW)) n
        JOIN jsonb_each(to_jsonb(OLD)) o ON o.key = n.key
        WHERE n.value IS DISTINCT FROM o.value AND n.key NOT IN ('updated_at', 'field_sources');
        IF cardinality(changed) = 0 THEN
            RETURN NULL;
        END IF;
    END IF;
    -- Organisation updates feed the stage-change notification; the rest only matters to subscribers.
    IF event_wanted(kind, kind = 'organisation.updated') THEN
        -- Fields of organisations only: read through jsonb, as `NEW.owner_id` does not exist on people.
        IF entity = 'organisation' AND TG_OP <> 'DELETE' THEN
            extra := jsonb_build_object('owner_id', to_jsonb(NEW) -> 'owner_id');
            IF 'pipeline_stage' = ANY (changed) THEN
                extra := extra || jsonb_build_object('pipeline_stage', to_jsonb(NEW) -> 'pipeline_stage',
                                                     'previous_stage', to_jsonb(OLD) -> 'pipeline_stage');
            END IF;
        END IF;
        INSERT INTO events (event_type, data) VALUES (
            kind,
            jsonb_strip_nulls(jsonb_build_object('id', row_id, 'changed', to_jsonb(changed)) || extra));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER organisations_emit_event AFTER INSERT OR UPDATE OR DELETE ON organisations
    FOR EACH ROW EXECUTE FUNCTION emit_record_event('organisation');
CREATE TRIGGER people_emit_event AFTER INSERT OR UPDATE OR DELETE ON people
    FOR EACH ROW EXECUTE FUNCTION emit_record_event('person');

-- interaction.created, once per statement (a mail sync inserts thousands of rows in one): nothing is
-- written unless an endpoint subscribes, so ingest pays one lookup per statement.
CREATE FUNCTION emit_interactions_created() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF event_wanted('interaction.created', false) THEN
        INSERT INTO events (event_type, data)
        SELECT 'interaction.created',
               jsonb_build_object('id', n.id, 'account_id', n.account_id, 'direction', n.direction)
        FROM new_rows n ORDER BY n.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER interactions_emit_created AFTER INSERT ON interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION emit_interactions_created();

-- interaction.assigned: a routing rule (or the default) gave an email to a user; feeds the assignment
-- notification.
CREATE FUNCTION emit_interaction_assigned() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.assigned_user_id IS NOT NULL
       AND NEW.assignment_source IN ('rule', 'default')
       AND NEW.assigned_user_id IS DISTINCT FROM OLD.assigned_user_id THEN
        INSERT INTO events (event_type, data) VALUES ('interaction.assigned', jsonb_strip_nulls(jsonb_build_object(
            'id', NEW.id, 'user_id', NEW.assigned_user_id, 'team_id', NEW.assigned_team_id,
            'routing_rule_id', NEW.routing_rule_id, 'source', NEW.assignment_source)));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER interactions_emit_assigned AFTER UPDATE OF assigned_user_id ON interactions
    FOR EACH ROW WHEN (NEW.assigned_user_id IS DISTINCT FROM OLD.assigned_user_id)
    EXECUTE FUNCTION emit_interaction_assigned();

-- suggestion.applied: an autofill suggestion was written to its record, automatically (inserted as
-- `auto_applied`) or on a reviewer's approval.
CREATE FUNCTION emit_suggestion_applied() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('auto_applied', 'approved')
       AND (TG_OP = 'INSERT' OR OLD.status NOT IN ('auto_applied', 'approved'))
       AND event_wanted('suggestion.applied', false) THEN
        INSERT INTO events (event_type, data) VALUES ('suggestion.applied', jsonb_strip_nulls(jsonb_build_object(
            'id', NEW.id, 'entity_type', NEW.entity_type, 'entity_id', NEW.entity_id, 'action', NEW.action,
            'field', NEW.field, 'status', NEW.status)));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER autofill_suggestions_emit_applied AFTER INSERT OR UPDATE OF status ON autofill_suggestions
    FOR EACH ROW EXECUTE FUNCTION emit_suggestion_applied();

-- job.failed (a permanent error) and job.dead (attempts exhausted), from the history the workers write.
-- Deliveries of webhooks are left out: a receiver that is down must not make more webhooks.
CREATE FUNCTION emit_job_dead() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM 'dead'
       OR OLD.finished_at IS DISTINCT FROM NEW.finished_at THEN
        INSERT INTO events (event_type, data) VALUES (
            CASE WHEN NEW.permanent THEN 'job.failed' ELSE 'job.dead' END,
            jsonb_build_object('job_id', NEW.job_id, 'job', NEW.job, 'queue', NEW.queue,
                               'attempts', NEW.attempts, 'error', left(NEW.last_error, 500)));
    END IF;
    RETURN NULL;
END
$$;

-- The WHEN clause keeps the function out of the path of the (many) succeeded jobs.
CREATE TRIGGER job_history_emit_dead AFTER INSERT OR UPDATE ON job_history
    FOR EACH ROW WHEN (NEW.state = 'dead' AND NEW.job NOT LIKE 'webhooks.%')
    EXECUTE FUNCTION emit_job_dead();

-- rgpd.erased, from the erasure ledger (written once per subject, before the erasure acts).
CREATE FUNCTION emit_rgpd_erased() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF event_wanted('rgpd.erased', false) THEN
        INSERT INTO events (event_type, data) VALUES ('rgpd.erased', jsonb_build_object(
            'subject_type', NEW.subject_type, 'subject_id', NEW.subject_id, 'reason', NEW.reason,
            'request_id', NEW.request_id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER erasure_ledger_emit_erased AFTER INSERT ON erasure_ledger
    FOR EACH ROW EXECUTE FUNCTION emit_rgpd_erased();

-- rgpd.request_received (admins are notified: the legal clock runs) and rgpd.export_ready (the requester is).
CREATE FUNCTION emit_rgpd_request() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO events (event_type, data) VALUES ('rgpd.request_received', jsonb_strip_nulls(jsonb_build_object(
            'id', NEW.id, 'kind', NEW.kind, 'subject_type', NEW.subject_type, 'requested_by', NEW.requested_by,
            'due_by', NEW.requested_at + interval '1 month')));
    ELSIF NEW.kind = 'export' AND NEW.state = 'done' AND OLD.state IS DISTINCT FROM 'done'
          AND NEW.requested_by IS NOT NULL THEN
        INSERT INTO events (event_type, data) VALUES ('rgpd.export_ready', jsonb_build_object(
            'id', NEW.id, 'user_id', NEW.requested_by, 'link_expires_at', NEW.link_expires_at));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER rgpd_requests_emit AFTER INSERT OR UPDATE OF state ON rgpd_requests
    FOR EACH ROW EXECUTE FUNCTION emit_rgpd_request();
