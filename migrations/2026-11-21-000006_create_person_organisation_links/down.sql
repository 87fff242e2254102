DROP TABLE person_organisation_links;
