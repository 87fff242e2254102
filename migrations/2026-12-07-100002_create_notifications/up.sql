-- In-app notifications and each user's choice of channel per type. Titles and bodies name records by id or
-- by organisation name, never a person's name or address (an erasure has nothing to find here).
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'critical')),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    -- Where the front end takes the user: `/organisations/12`, `/jobs/01J…`.
    link TEXT,
    data JSONB NOT NULL DEFAULT '{}',
    -- The event it came from: one notification per event and user, however often the relay runs.
    event_id BIGINT,
    read_at TIMESTAMPTZ,
    -- Set once included in an email digest.
    emailed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (event_id, user_id)
);

CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- A user's channel for a type: in_app (the default), email (in-app and the digest) or off. Critical types
-- cannot be turned off (the API refuses it).
CREATE TABLE notification_preferences (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'off')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind)
);
