//! Typed ids, so a `UserId` cannot be passed where an `OrganisationId` is expected.

id_newtype!(
    /// Id of a row of `users`.
    UserId
);
id_newtype!(
    /// Id of a row of `teams`.
    TeamId
);
id_newtype!(
    /// Id of a row of `organisations`.
    OrganisationId
);
id_newtype!(
    /// Id of a row of `people`.
    PersonId
);
id_newtype!(
    /// Id of a row of `person_organisation_links`.
    LinkId
);
id_newtype!(
    /// Id of a row of `backups`.
    BackupId
);
id_newtype!(
    /// Id of a row of `audit_log`.
    AuditEntryId
);
