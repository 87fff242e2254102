//! Records of database backups: one row per dump, its outcome, and the result of its restore check.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::BackupId;
use crate::db::DbError;
use crate::schema::backups;

text_enum! {
    /// Where a backup run stands.
    pub enum BackupStatus ("backup status") {
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
    }
}

text_enum! {
    /// Outcome of restoring a backup into a scratch database and comparing it.
    pub enum VerifyResult ("verify result") {
        /// Restored and every table count matched.
        Ok => "ok",
        /// Restored but the contents differ from what the dump recorded.
        Mismatch => "mismatch",
        /// The restore itself failed.
        Failed => "failed",
    }
}

/// A row of `backups`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = backups, check_for_backend(diesel::pg::Pg))]
pub struct Backup {
    pub id: BackupId,
    pub file_name: String,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: BackupStatus,
    pub error: Option<String>,
    /// Row count per table at dump time: `{"users": 3, ...}`.
    pub table_counts: Option<serde_json::Value>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verify_result: Option<VerifyResult>,
    pub verify_details: Option<serde_json::Value>,
}

/// Insert form of [`Backup`]: a run that just started.
#[derive(Debug, Insertable)]
#[diesel(table_name = backups)]
pub struct NewBackup<'a> {
    pub file_name: &'a str,
    pub status: BackupStatus,
}

/// Records the start of a backup run; a file name already recorded gives [`DbError::UniqueViolation`].
pub fn start_backup(conn: &mut PgConnection, file_name: &str) -> Result<Backup, DbError> {
    Ok(diesel::insert_into(backups::table)
        .values(NewBackup {
            file_name,
            status: BackupStatus::Running,
        })
        .returning(Backup::as_returning())
        .get_result(conn)?)
}

/// Marks a run succeeded with the dump's size, SHA-256 (hex) and per-table row counts.
pub fn finish_backup(
    conn: &mut PgConnection,
    id: BackupId,
    size_bytes: i64,
    sha256: &str,
    table_counts: &serde_json::Value,
) -> Result<Backup, DbError> {
    Ok(diesel::update(backups::table.find(id))
        .set((
            backups::status.eq(BackupStatus::Succeeded),
            backups::finished_at.eq(diesel::dsl::now),
            backups::size_bytes.eq(size_bytes),
            backups::sha256.eq(sha256),
            backups::table_counts.eq(table_counts),
            backups::error.eq(None::<String>),
        ))
        .returning(Backup::as_returning())
        .get_result(conn)?)
}

/// Marks a run failed with the reason.
pub fn fail_backup(conn: &mut PgConnection, id: BackupId, error: &str) -> Result<Backup, DbError> {
    Ok(diesel::update(backups::table.find(id))
        .set((
            backups::status.eq(BackupStatus::Failed),
            backups::finished_at.eq(diesel::dsl::now),
            backups::error.eq(error),
        ))
        .returning(Backup::as_returning())
        .get_result(conn)?)
}

/// Stores the outcome of a restore check.
pub fn record_verification(
    conn: &mut PgConnection,
    id: BackupId,
    result: VerifyResult,
    details: &serde_json::Value,
) -> Result<Backup, DbError> {
    Ok(diesel::update(backups::table.find(id))
        .set((
            backups::verified_at.eq(diesel::dsl::now),
            backups::verify_result.eq(result),
            backups::verify_details.eq(details),
        ))
        .returning(Backup::as_returning())
        .get_result(conn)?)
}

/// Finds a backup by id.
pub fn find_backup(conn: &mut PgConnection, id: BackupId) -> Result<Option<Backup>, DbError> {
    Ok(backups::table
        .find(id)
        .select(Backup::as_select())
        .first(conn)
        .optional()?)
}

/// The most recent backups first, at most `limit`.
pub fn list_backups(conn: &mut PgConnection, limit: i64) -> Result<Vec<Backup>, DbError> {
    Ok(backups::table
        .order((backups::started_at.desc(), backups::id.desc()))
        .limit(limit)
        .select(Backup::as_select())
        .load(conn)?)
}

/// The newest backup that succeeded and whose restore check said `ok`: the one to restore from.
pub fn newest_verified_good(conn: &mut PgConnection) -> Result<Option<Backup>, DbError> {
    Ok(backups::table
        .filter(backups::status.eq(BackupStatus::Succeeded))
        .filter(backups::verify_result.eq(VerifyResult::Ok))
        .order((backups::started_at.desc(), backups::id.desc()))
        .select(Backup::as_select())
        .first(conn)
        .optional()?)
}

/// Backups started before `cutoff`, oldest first (candidates for retention pruning).
pub fn list_started_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Backup>, DbError> {
    Ok(backups::table
        .filter(backups::started_at.lt(cutoff))
        .order((backups::started_at.asc(), backups::id.asc()))
        .select(Backup::as_select())
        .load(conn)?)
}

/// Deletes a backup record (after its file was removed); false when it did not exist.
pub fn delete_backup(conn: &mut PgConnection, id: BackupId) -> Result<bool, DbError> {
    Ok(diesel::delete(backups::table.find(id)).execute(conn)? > 0)
}
