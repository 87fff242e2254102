DROP TABLE email_folder_state;
