-- Routing rules: who handles an analysed inbound email. Evaluated by priority (then id), first match
-- wins; every criterion set on a rule must match; a rule without criteria matches everything.
CREATE TABLE routing_rules (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    -- Lower runs first.
    priority INT NOT NULL DEFAULT 100,
    active BOOLEAN NOT NULL DEFAULT true,
    -- An intent label (`meeting_request`, `complaint`…).
    intent TEXT,
    -- An address or domain pattern, `*` as wildcard, case-insensitive: `*@amundi.com`, `amundi.com`.
    sender_pattern TEXT,
    -- Any of these in the subject or body (case and accents ignored).
    keywords TEXT[] NOT NULL DEFAULT '{}',
    -- Only emails of this mailbox.
    account_id BIGINT REFERENCES email_accounts (id) ON DELETE CASCADE,
    assign_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    assign_team_id BIGINT REFERENCES teams (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (assign_user_id IS NOT NULL OR assign_team_id IS NOT NULL)
);

CREATE INDEX routing_rules_order_idx ON routing_rules (priority, id) WHERE active;

CREATE TRIGGER routing_rules_set_updated_at BEFORE UPDATE ON routing_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Who handles a stored email, and why: `rule` (routing_rule_id), `default` (ROUTING_DEFAULT_USER_ID) or
-- `human` (never changed by routing again).
ALTER TABLE interactions
    ADD COLUMN assigned_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN assigned_team_id BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    ADD COLUMN routing_rule_id BIGINT REFERENCES routing_rules (id) ON DELETE SET NULL,
    ADD COLUMN assignment_source TEXT CHECK (assignment_source IN ('rule', 'default', 'human'));

CREATE INDEX interactions_assigned_user_idx ON interactions (assigned_user_id) WHERE assigned_user_id IS NOT NULL;
