CREATE TABLE organisations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    org_type TEXT NOT NULL CHECK (org_type IN ('investor', 'distributor', 'issuer', 'supplier')),
    category TEXT,
    pipeline_stage TEXT NOT NULL DEFAULT 'prospect'
        CHECK (pipeline_stage IN ('prospect', 'qualification', 'proposition', 'signed')),
    website TEXT,
    email TEXT,
    phone TEXT,
    address TEXT,
    city TEXT,
    country TEXT,
    linkedin TEXT,
    notes TEXT,
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX organisations_name_lower_idx ON organisations (lower(name));
CREATE INDEX organisations_pipeline_stage_idx ON organisations (pipeline_stage);
CREATE INDEX organisations_owner_id_idx ON organisations (owner_id);

CREATE TRIGGER organisations_set_updated_at BEFORE UPDATE ON organisations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
