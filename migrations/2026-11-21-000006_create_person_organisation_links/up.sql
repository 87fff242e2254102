CREATE TABLE person_organisation_links (
    id BIGSERIAL PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    -- the person's role or title in that organisation
    role TEXT,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (person_id, organisation_id)
);

-- A person has at most one primary organisation.
CREATE UNIQUE INDEX person_organisation_links_one_primary_key
    ON person_organisation_links (person_id) WHERE is_primary;
CREATE INDEX person_organisation_links_organisation_id_idx ON person_organisation_links (organisation_id);
