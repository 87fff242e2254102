DROP TABLE email_accounts;
