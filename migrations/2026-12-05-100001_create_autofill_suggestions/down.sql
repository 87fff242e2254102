DROP TABLE ai_accuracy_metrics;
DROP TABLE autofill_suggestions;
DROP INDEX interaction_analyses_autofill_pending_idx;
ALTER TABLE interaction_analyses DROP COLUMN autofilled_at;
ALTER TABLE interactions DROP COLUMN automated;
ALTER TABLE organisations DROP COLUMN description;
ALTER TABLE organisations DROP COLUMN field_sources;
ALTER TABLE people DROP COLUMN field_sources;
