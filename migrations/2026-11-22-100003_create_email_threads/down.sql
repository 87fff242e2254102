DROP TABLE email_threads;
