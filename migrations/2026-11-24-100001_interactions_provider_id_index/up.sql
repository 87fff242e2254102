-- Gmail and Graph syncs look up which provider message ids an account already stored, so a message
-- listed again (Graph delta reports flag changes, a Gmail full resync) is not downloaded again.
CREATE INDEX interactions_account_provider_idx ON interactions (account_id, provider_id)
    WHERE provider_id IS NOT NULL;
