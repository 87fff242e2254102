//! The audit log: who did what to which target, for operator and admin actions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{AuditEntryId, UserId};
use crate::db::DbError;
use crate::schema::audit_log;

/// A row of `audit_log`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditEntry {
    pub id: AuditEntryId,
    pub actor_user_id: Option<UserId>,
    /// Dotted verb: `job.run_now`, `job.requeue`, `schedule.run_now`, `user.create`, ...
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Insert form of [`AuditEntry`], built with [`NewAuditEntry::new`] and its `with_*` methods.
/// `details` must not hold personal data (log ids, not emails or names).
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry {
    pub actor_user_id: Option<UserId>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub request_id: Option<String>,
}

impl NewAuditEntry {
    /// An entry for `action` with no actor, target or details yet.
    pub fn new(action: impl Into<String>) -> Self {
        Self {
            actor_user_id: None,
            action: action.into(),
            target_type: None,
            target_id: None,
            details: serde_json::Value::Object(serde_json::Map::new()),
            request_id: None,
        }
    }

    /// Sets the user who acted.
    pub fn with_actor(mut self, actor: UserId) -> Self {
        self.actor_user_id = Some(actor);
        self
    }

    /// Sets what was acted on: a type (`job`, `schedule`, `user`) and its id.
    pub fn with_target(mut self, target_type: impl Into<String>, target_id: impl ToString) -> Self {
        self.target_type = Some(target_type.into());
        self.target_id = Some(target_id.to_string());
        self
    }

    /// Sets free-form details (a JSON object).
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// Sets the id of the HTTP request that caused the action.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }
}

/// Appends an entry and returns it as stored.
pub fn record(conn: &mut PgConnection, entry: &NewAuditEntry) -> Result<AuditEntry, DbError> {
    Ok(diesel::insert_into(audit_log::table)
        .values(entry)
        .returning(AuditEntry::as_returning())
        .get_result(conn)?)
}

/// The newest entries first, at most `limit`.
pub fn list_recent(conn: &mut PgConnection, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
    Ok(audit_log::table
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}

/// The newest entries about one target first, at most `limit`.
pub fn list_for_target(
    conn: &mut PgConnection,
    target_type: &str,
    target_id: &str,
    limit: i64,
) -> Result<Vec<AuditEntry>, DbError> {
    Ok(audit_log::table
        .filter(audit_log::target_type.eq(target_type))
        .filter(audit_log::target_id.eq(target_id))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}
