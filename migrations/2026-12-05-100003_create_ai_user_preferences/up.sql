-- What users chose among the suggestions of a form field (the context menu): the learning that boosts
-- values they accept. Personal data of their own: deleted on request, and after 90 days by
-- ai.cleanup_preferences.
CREATE TABLE ai_user_preferences (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    field_name TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'manual', 'ignore')),
    suggested_value TEXT,
    final_value TEXT,
    suggestion_rank INT,
    suggestion_confidence REAL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL DEFAULT now() + interval '90 days'
);

CREATE INDEX ai_user_preferences_user_field_idx ON ai_user_preferences (user_id, field_name);
CREATE INDEX ai_user_preferences_team_field_idx ON ai_user_preferences (team_id, field_name);
CREATE INDEX ai_user_preferences_expires_idx ON ai_user_preferences (expires_at);
