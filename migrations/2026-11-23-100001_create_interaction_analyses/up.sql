-- The email-intelligence result of a stored email (intel.analyze_email), one row per interaction:
-- re-running the analysis replaces it. `analyzer_version` lets intel.reanalyze target old results.
CREATE TABLE interaction_analyses (
    interaction_id BIGINT PRIMARY KEY REFERENCES interactions (id) ON DELETE CASCADE,
    analyzer_version TEXT NOT NULL,
    -- Who answered the intent: `rules` or `provider:model`.
    source TEXT NOT NULL,
    language TEXT NOT NULL,
    intent_label TEXT NOT NULL,
    intent_confidence REAL NOT NULL,
    signature JSONB NOT NULL DEFAULT '{}',
    -- True when at least one signature field was found (signature extraction success rate).
    signature_found BOOLEAN NOT NULL DEFAULT false,
    entities JSONB NOT NULL DEFAULT '{}',
    keywords JSONB NOT NULL DEFAULT '[]',
    duration_ms INT NOT NULL DEFAULT 0,
    -- LLM cache status of the analysis: `disabled` (no provider or no Redis), `hit`, `miss`, `unavailable`.
    cache TEXT NOT NULL DEFAULT 'disabled' CHECK (cache IN ('disabled', 'hit', 'miss', 'unavailable')),
    analyzed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Statistics read a time range, overall and per source.
CREATE INDEX interaction_analyses_analyzed_at_idx ON interaction_analyses (analyzed_at);
CREATE INDEX interaction_analyses_source_analyzed_at_idx ON interaction_analyses (source, analyzed_at);
-- Re-analysis selects results of other analyser versions.
CREATE INDEX interaction_analyses_version_idx ON interaction_analyses (analyzer_version);
