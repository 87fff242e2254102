-- Campaign mail: templates, audiences (segments), campaigns with their steps, the recipients enrolled, one
-- send record per recipient and step, the suppression list and what happened to the mail sent.
--
-- Templates, segments and campaigns belong to the user who made them: their owner, managers and admins
-- change them; every signed-in user reads them; viewers never write.

CREATE TABLE mail_templates (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    subject TEXT NOT NULL,
    html TEXT NOT NULL,
    -- NULL: the text part is generated from the HTML.
    text_body TEXT,
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER mail_templates_set_updated_at BEFORE UPDATE ON mail_templates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- An audience: the people matching `filters` (NULL: none, a manual list only) and the people listed in
-- segment_members. Filters are over people and their organisations (shared::models::segment::SegmentFilter).
CREATE TABLE segments (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    filters JSONB,
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER segments_set_updated_at BEFORE UPDATE ON segments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE segment_members (
    segment_id BIGINT NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, person_id)
);

CREATE TABLE campaigns (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    segment_id BIGINT NOT NULL REFERENCES segments (id) ON DELETE RESTRICT,
    -- draft -> scheduled -> sending -> completed; paused (the kill switch: nothing more is sent until
    -- resumed) and cancelled (for good) from scheduled or sending.
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'completed', 'cancelled')),
    -- When step 1 goes out (scheduled campaigns).
    scheduled_at TIMESTAMPTZ,
    -- Open pixel and click redirects (off: links are left as written and no pixel is added).
    tracking BOOLEAN NOT NULL DEFAULT true,
    -- A drip stops for a recipient who replied (an inbound email from them after enrolment).
    stop_on_reply BOOLEAN NOT NULL DEFAULT true,
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    launched_at TIMESTAMPTZ,
    paused_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX campaigns_due_idx ON campaigns (scheduled_at) WHERE status = 'scheduled';

CREATE TRIGGER campaigns_set_updated_at BEFORE UPDATE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Step n of a campaign goes to each recipient `delay_hours` after their step n-1 (step 1: at launch).
-- A/B: recipients of variant b get `subject_b` instead of the template's subject.
CREATE TABLE campaign_steps (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    step SMALLINT NOT NULL CHECK (step BETWEEN 1 AND 20),
    template_id BIGINT NOT NULL REFERENCES mail_templates (id) ON DELETE RESTRICT,
    delay_hours INTEGER NOT NULL DEFAULT 0 CHECK (delay_hours BETWEEN 0 AND 8760),
    subject_b TEXT,
    PRIMARY KEY (campaign_id, step)
);

-- Everyone a launched campaign goes to, fixed at launch (later changes to the segment do not move them).
CREATE TABLE campaign_recipients (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- The A/B variant, the same for every step.
    variant TEXT NOT NULL CHECK (variant IN ('a', 'b')),
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'done', 'stopped')),
    stop_reason TEXT CHECK (stop_reason IN ('replied', 'unsubscribed', 'suppressed', 'no_address', 'failed')),
    enrolled_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, person_id)
);

CREATE INDEX campaign_recipients_active_idx ON campaign_recipients (campaign_id) WHERE state = 'active';

-- One message to one recipient for one step: (campaign, person, step) is the idempotency key. A row is
-- claimed (`sending`) before the SMTP transaction and marked `sent` right after it; the Message-ID is fixed
-- when the row is made, so a message re-sent after a crash in between carries the same Message-ID.
CREATE TABLE campaign_sends (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    step SMALLINT NOT NULL,
    variant TEXT NOT NULL CHECK (variant IN ('a', 'b')),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    skip_reason TEXT,
    due_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When a job was last asked to send it: a pending row whose job was lost is handed to a new one.
    enqueued_at TIMESTAMPTZ,
    claimed_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    message_id TEXT NOT NULL UNIQUE,
    -- Keyed hash of the address mailed: bounces and provider events are matched on it, the address itself
    -- is not kept here.
    address_hash TEXT,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, person_id, step)
);

CREATE INDEX campaign_sends_open_idx ON campaign_sends (due_at) WHERE status IN ('pending', 'sending');
CREATE INDEX campaign_sends_campaign_idx ON campaign_sends (campaign_id, step, status);
CREATE INDEX campaign_sends_address_idx ON campaign_sends (address_hash, id DESC);

-- Addresses never mailed again by a campaign: the keyed hash of the lower-cased address (it survives an
-- erasure without keeping the address).
CREATE TABLE email_suppressions (
    address_hash TEXT PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'hard_bounce', 'soft_bounces', 'complaint', 'manual')),
    source TEXT NOT NULL CHECK (source IN ('one_click', 'link', 'mailto', 'dsn', 'sendgrid', 'smtp', 'admin')),
    campaign_id BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What became of campaign mail: opens, clicks, deliveries, bounces, complaints, unsubscriptions.
CREATE TABLE email_events (
    id BIGSERIAL PRIMARY KEY,
    send_id BIGINT REFERENCES campaign_sends (id) ON DELETE CASCADE,
    campaign_id BIGINT REFERENCES campaigns (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('delivered', 'deferred', 'dropped', 'bounce_hard', 'bounce_soft',
        'complaint', 'unsubscribe', 'open', 'click')),
    source TEXT NOT NULL CHECK (source IN ('pixel', 'link', 'dsn', 'sendgrid', 'one_click', 'mailto', 'smtp')),
    address_hash TEXT,
    -- The provider's event id (SendGrid sg_event_id) or the DSN's Message-ID and recipient: a webhook
    -- retried or a mailbox synced twice records an event once.
    dedupe_key TEXT UNIQUE,
    -- An open most likely made by an image proxy fetching ahead (Apple Mail Privacy Protection, a proxy
    -- within seconds of sending): counted apart in the report.
    machine BOOLEAN NOT NULL DEFAULT false,
    -- A click's target.
    url TEXT,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX email_events_campaign_idx ON email_events (campaign_id, kind);
CREATE INDEX email_events_soft_idx ON email_events (address_hash) WHERE kind = 'bounce_soft';

-- Who segment `seg` reaches now: people with an address, not anonymised, on its manual list or matching its
-- filters (see shared::models::segment::SegmentFilter: lists are alternatives, fields narrow, organisation
-- criteria hold when one linked organisation, the primary one with primary_only, meets them all). The API's
-- preview and the enrolment at launch both read this function.
CREATE FUNCTION segment_audience(seg BIGINT) RETURNS TABLE (person_id BIGINT)
    LANGUAGE sql STABLE AS $$
    WITH f AS (
        SELECT s.filters,
            ARRAY(SELECT jsonb_array_elements_text(COALESCE(s.filters -> 'org_types', '[]'))) AS org_types,
            ARRAY(SELECT jsonb_array_elements_text(COALESCE(s.filters -> 'pipeline_stages', '[]'))) AS stages,
            ARRAY(SELECT jsonb_array_elements_text(COALESCE(s.filters -> 'categories', '[]'))) AS categories,
            ARRAY(SELECT lower(trim(v)) FROM jsonb_array_elements_text(COALESCE(s.filters -> 'cities', '[]')) v) AS cities,
            ARRAY(SELECT lower(trim(v)) FROM jsonb_array_elements_text(COALESCE(s.filters -> 'countries', '[]')) v) AS countries,
            ARRAY(SELECT (jsonb_array_elements_text(COALESCE(s.filters -> 'owner_ids', '[]')))::bigint) AS owners,
            NULLIF(trim(s.filters ->> 'title_contains'), '') AS title,
            COALESCE((s.filters ->> 'primary_only')::boolean, false) AS primary_only
        FROM segments s WHERE s.id = seg
    )
    SELECT p.id FROM people p, f
    WHERE p.email IS NOT NULL AND p.anonymised_at IS NULL AND (
        p.id IN (SELECT m.person_id FROM segment_members m WHERE m.segment_id = seg)
        OR (f.filters IS NOT NULL
            AND (f.title IS NULL
                OR strpos(lower(COALESCE(p.title, '')), lower(f.title)) > 0)
            AND (cardinality(f.org_types) + cardinality(f.stages) + cardinality(f.categories)
                    + cardinality(f.cities) + cardinality(f.countries) + cardinality(f.owners) = 0
                OR EXISTS (
                    SELECT 1 FROM person_organisation_links l JOIN organisations o ON o.id = l.organisation_id
                    WHERE l.person_id = p.id AND (NOT f.primary_only OR l.is_primary)
                        AND (cardinality(f.org_types) = 0 OR o.org_type = ANY (f.org_types))
                        AND (cardinality(f.stages) = 0 OR o.pipeline_stage = ANY (f.stages))
                        AND (cardinality(f.categories) = 0 OR o.category = ANY (f.categories))
                        AND (cardinality(f.cities) = 0 OR lower(o.city) = ANY (f.cities))
                        AND (cardinality(f.countries) = 0 OR lower(o.country) = ANY (f.countries))
                        AND (cardinality(f.owners) = 0 OR o.owner_id = ANY (f.owners)))))
    )
$$;
