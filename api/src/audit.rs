//! Audit entries for operator actions taken through the API.

use shared::db::run_blocking;
use shared::models::UserId;
use shared::models::audit::{self, NewAuditEntry};

use crate::middleware::RequestId;
use crate::state::AppState;

/// What to record. `details` must hold ids only, never personal data.
pub struct Entry<'a> {
    pub actor: UserId,
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: String,
    pub details: serde_json::Value,
    pub request_id: &'a RequestId,
}

/// Appends an audit entry. The action it describes has already happened (a job is enqueued), so a failure
/// here is logged loudly rather than turned into an error response that would misreport the action.
pub async fn record(state: &AppState, entry: Entry<'_>) {
    let new = NewAuditEntry::new(entry.action)
        .with_actor(entry.actor)
        .with_target(entry.target_type, &entry.target_id)
        .with_details(entry.details)
        .with_request_id(entry.request_id.as_str());
    let action = entry.action;
    let target = entry.target_id;
    if let Err(e) = run_blocking(&state.pool, move |conn| audit::record(conn, &new)).await {
        tracing::error!(action, target = %target, error = %e, "audit entry could not be written");
    }
}
