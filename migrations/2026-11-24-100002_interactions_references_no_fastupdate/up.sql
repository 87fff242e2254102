-- Threading probes this index once per stored message, right after inserting. With GIN's default
-- fastupdate, fresh entries sit in an unsorted pending list that every probe scans in full until a vacuum
-- flushes it: during a large sync each lookup then costs time linear in the messages just stored.
-- Inserting straight into the index costs a little per row and keeps every probe logarithmic.
ALTER INDEX interactions_references_idx SET (fastupdate = off);
