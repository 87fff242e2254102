//! One file per entity: the read struct, its `New<Entity>`, and plain functions taking a connection.

#[macro_use]
mod macros;

pub mod access_log;
pub mod ai_preference;
pub mod audit;
pub mod autofill_suggestion;
pub mod backup;
pub mod campaign;
pub mod email_account;
pub mod email_thread;
pub mod erasure_ledger;
pub mod event;
pub mod ids;
pub mod interaction;
pub mod interaction_analysis;
pub mod job_history;
pub mod notification;
pub mod organisation;
pub mod person;
pub mod person_link;
pub mod rgpd_report;
pub mod rgpd_request;
pub mod routing_rule;
pub mod segment;
pub mod team;
mod text_list;
pub mod user;
pub mod webhook;

pub use ids::{AuditEntryId, BackupId, LinkId, OrganisationId, PersonId, TeamId, UserId};

/// A text column held a value outside its CHECK list, or a caller passed an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct ParseEnumError {
    pub kind: &'static str,
    pub value: String,
}

/// SQL functions used by the queries of this module.
pub(crate) mod sql {
    use diesel::sql_types::{Nullable, Text};

    diesel::define_sql_function! {
        /// `lower(text)`, matching the `lower(...)` expression indexes.
        fn lower(x: Text) -> Text;
    }

    diesel::define_sql_function! {
        /// `lower(text)` on a nullable column.
        #[sql_name = "lower"]
        fn lower_nullable(x: Nullable<Text>) -> Nullable<Text>;
    }
}
