DROP TABLE ai_user_preferences;
