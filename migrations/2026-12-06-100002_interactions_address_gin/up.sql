-- Finding every email sent to or copied to an address (an RGPD export or erasure of a person, whose
-- outbound mail names them only in To/Cc) without reading the whole table. Without the pending list
-- (fastupdate off, as for interactions_references_idx): a lookup right after a large sync or a bulk
-- erasure would otherwise scan megabytes of pending entries (measured: 8 s instead of 0.13 s for the
-- addresses of 1,000 contacts over 1,000,000 emails).
CREATE INDEX interactions_to_addresses_idx ON interactions USING GIN (to_addresses) WITH (fastupdate = off);
CREATE INDEX interactions_cc_addresses_idx ON interactions USING GIN (cc_addresses) WITH (fastupdate = off);
