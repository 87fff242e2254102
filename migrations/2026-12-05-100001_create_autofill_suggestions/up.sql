-- Autofill with human review (intel.autofill_batch, enrich.organisation).

-- Who wrote each field of a person or an organisation: {"title": "autofill:signature", ...}. A field
-- absent from the map was entered by a human (or imported) and is never overwritten by autofill.
ALTER TABLE people ADD COLUMN field_sources JSONB NOT NULL DEFAULT '{}';
ALTER TABLE organisations ADD COLUMN field_sources JSONB NOT NULL DEFAULT '{}';
-- What the organisation does, in a sentence or two (web enrichment fills it when empty).
ALTER TABLE organisations ADD COLUMN description TEXT;

-- Why a stored email is bulk or automated mail (`list`, `precedence:bulk`, `auto-submitted`…), read from its
-- headers at sync; such mail is never evidence for autofill.
ALTER TABLE interactions ADD COLUMN automated TEXT;

-- When autofill last read the analysis of this email (NULL: not yet).
ALTER TABLE interaction_analyses ADD COLUMN autofilled_at TIMESTAMPTZ;
CREATE INDEX interaction_analyses_autofill_pending_idx ON interaction_analyses (analyzed_at)
    WHERE autofilled_at IS NULL;

CREATE TABLE autofill_suggestions (
    id BIGSERIAL PRIMARY KEY,
    -- `person` or `organisation`; entity_id is NULL for a person to create.
    entity_type TEXT NOT NULL CHECK (entity_type IN ('person', 'organisation')),
    entity_id BIGINT,
    -- create_person | set_field | link_organisation
    action TEXT NOT NULL CHECK (action IN ('create_person', 'set_field', 'link_organisation')),
    -- The field set (set_field), `person` (create_person) or `organisation` (link_organisation).
    field TEXT NOT NULL,
    -- The proposed value: a JSON string for set_field, an object for create_person and link_organisation.
    value JSONB NOT NULL,
    -- The value of the field when the suggestion was made (set_field).
    current_value TEXT,
    confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    -- signature | web
    source TEXT NOT NULL,
    -- Where the value was read: {"interaction_id": 12, "field_source": "signature.title", ...}.
    evidence JSONB NOT NULL DEFAULT '{}',
    interaction_id BIGINT REFERENCES interactions (id) ON DELETE SET NULL,
    analyzer_version TEXT NOT NULL,
    -- The owner of the mailbox the evidence came from (who reviews it); NULL: admins.
    owner_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'auto_applied', 'approved', 'rejected', 'superseded')),
    -- The value applied when it differs from `value` (edit-then-approve).
    final_value JSONB,
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMPTZ,
    -- Same evidence, same proposal: one suggestion (concurrent batches insert ON CONFLICT DO NOTHING).
    dedupe_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX autofill_suggestions_review_idx ON autofill_suggestions (status, confidence DESC, id);
CREATE INDEX autofill_suggestions_entity_idx ON autofill_suggestions (entity_type, entity_id);
CREATE INDEX autofill_suggestions_owner_idx ON autofill_suggestions (owner_user_id, status);
CREATE INDEX autofill_suggestions_interaction_idx ON autofill_suggestions (interaction_id);

-- Per-field precision of autofill, computed daily by ai.accuracy_metrics from review decisions.
CREATE TABLE ai_accuracy_metrics (
    day DATE NOT NULL,
    field TEXT NOT NULL,
    source TEXT NOT NULL,
    approved INT NOT NULL,
    -- Approved after the reviewer changed the value (counted as approvals, not as correct).
    edited INT NOT NULL,
    rejected INT NOT NULL,
    auto_applied INT NOT NULL,
    -- Approved unchanged / (approved + rejected); NULL without decisions.
    precision REAL,
    computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (day, field, source)
);
