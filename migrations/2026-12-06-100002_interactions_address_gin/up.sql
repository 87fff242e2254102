-- Finding every email sent to or copied to an address (an RGPD export or erasure of a person, whose
-- outbound mail names them only in To/Cc) without reading the whole table.
CREATE INDEX interactions_to_addresses_idx ON interactions USING GIN (to_addresses);
CREATE INDEX interactions_cc_addresses_idx ON interactions USING GIN (cc_addresses);
