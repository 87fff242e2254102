ALTER TABLE users DROP COLUMN anonymised_at;
ALTER TABLE people DROP COLUMN anonymised_at;
DROP TABLE rgpd_reports;
DROP TABLE erasure_ledger;
DROP TABLE rgpd_export_files;
DROP TABLE rgpd_requests;
DROP TABLE data_access_logs;
