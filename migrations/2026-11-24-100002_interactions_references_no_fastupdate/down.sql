ALTER INDEX interactions_references_idx RESET (fastupdate);
