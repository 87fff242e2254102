DROP INDEX interactions_assigned_user_idx;
ALTER TABLE interactions
    DROP COLUMN assignment_source,
    DROP COLUMN routing_rule_id,
    DROP COLUMN assigned_team_id,
    DROP COLUMN assigned_user_id;
DROP TABLE routing_rules;
