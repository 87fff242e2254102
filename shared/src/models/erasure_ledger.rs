//! The erasure ledger (`erasure_ledger`): every erasure, written before it acts, as ids and keyed hashes
//! of the subject's identifiers (never the identifiers). The same entries are appended to the ledger file
//! beside the backups, which a restore replays so that restoring a backup does not bring erased people back.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::rgpd_request::SubjectType;
use super::text_list::TextList;
use crate::db::DbError;
use crate::schema::erasure_ledger as e;

text_enum! {
    pub enum ErasureReason ("erasure reason") {
        /// A data subject's request (Art. 17).
        Request => "request",
        /// The inactivity sweep (`rgpd.anonymize_inactive`).
        Inactive => "inactive",
    }
}

/// One erasure, as stored in the table and, one JSON object per line, in the ledger file.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Queryable,
    Selectable,
    Insertable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = e, check_for_backend(diesel::pg::Pg))]
pub struct LedgerEntry {
    pub subject_type: SubjectType,
    pub subject_id: i64,
    /// Keyed hashes (`Purpose::ErasedIdentifier`) of the subject's emails, phones and name.
    #[diesel(deserialize_as = TextList)]
    pub identifier_hashes: Vec<String>,
    pub reason: ErasureReason,
    pub request_id: Option<i64>,
    pub erased_at: DateTime<Utc>,
}

/// Records entries not recorded yet (one per subject); returns those that were new.
pub fn insert_new(
    conn: &mut PgConnection,
    entries: &[LedgerEntry],
) -> Result<Vec<LedgerEntry>, DbError> {
    let mut new = Vec::new();
    for chunk in entries.chunks(5_000) {
        let rows: Vec<LedgerEntry> = diesel::insert_into(e::table)
            .values(chunk)
            .on_conflict((e::subject_type, e::subject_id))
            .do_nothing()
            .returning(LedgerEntry::as_returning())
            .get_results(conn)?;
        new.extend(rows);
    }
    Ok(new)
}

/// Every entry, oldest first.
pub fn all(conn: &mut PgConnection) -> Result<Vec<LedgerEntry>, DbError> {
    Ok(e::table
        .select(LedgerEntry::as_select())
        .order(e::id)
        .load(conn)?)
}

/// Count of erasures in `[from, to)` by reason.
pub fn count_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(ErasureReason, SubjectType, i64)>, DbError> {
    Ok(e::table
        .filter(e::erased_at.ge(from).and(e::erased_at.lt(to)))
        .group_by((e::reason, e::subject_type))
        .select((e::reason, e::subject_type, diesel::dsl::count_star()))
        .load(conn)?)
}
