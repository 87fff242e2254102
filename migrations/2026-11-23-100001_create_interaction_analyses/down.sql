DROP TABLE interaction_analyses;
