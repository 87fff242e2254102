//! A reviewer's decisions on suggestions (approve, edit-then-approve, reject), one by one or in bulk;
//! each decision is written to the audit log with who, when, and the value before and after, in the same
//! transaction as the change.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use shared::db::DbError;
use shared::models::UserId;
use shared::models::audit::{self, NewAuditEntry};
use shared::models::autofill_suggestion::{
    self as suggestions, EntityType, SuggestionId, SuggestionStatus,
};
use shared::permissions::Principal;

use crate::apply::{Applied, Applier, ApplyError, apply};

/// What the reviewer decided.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Apply the suggestion, with an edited value when given.
    Approve {
        value: Option<Value>,
    },
    Reject,
}

/// Who decides, and which suggestions they may see (the owners of the mailboxes they see; `None`: all).
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub user: UserId,
    pub visible_owners: Option<Vec<UserId>>,
    pub request_id: Option<String>,
}

/// The suggestion rule (the mailbox rule): a principal sees the suggestions read from their own mail and
/// their organisations; admins see all. `None` means every owner.
pub fn visible_owners(principal: &Principal) -> Option<Vec<UserId>> {
    (!principal.is_admin()).then(|| vec![principal.id])
}

impl Reviewer {
    /// `principal` deciding, with the request's id for the audit log.
    pub fn new(principal: &Principal, request_id: Option<String>) -> Self {
        Self {
            user: principal.id,
            visible_owners: visible_owners(principal),
            request_id,
        }
    }

    /// True when a suggestion owned by `owner` is this reviewer's to see.
    pub fn sees(&self, owner: Option<UserId>) -> bool {
        match &self.visible_owners {
            None => true,
            Some(list) => owner.is_some_and(|o| list.contains(&o)),
        }
    }
}

/// A decision that was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reviewed {
    #[schema(value_type = i64)]
    pub id: SuggestionId,
    #[schema(value_type = String)]
    pub status: SuggestionStatus,
    /// `person` or `organisation`.
    #[schema(value_type = String)]
    pub entity_type: EntityType,
    /// The person or organisation changed (created, for a new person).
    pub entity_id: Option<i64>,
}

/// Why a decision was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no such suggestion")]
    NotFound,
    #[error("the suggestion was already decided ({0})")]
    AlreadyDecided(SuggestionStatus),
    /// The record changed since; the suggestion is marked superseded.
    #[error("{0}")]
    Stale(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ReviewError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Records `decision` on suggestion `id` (one transaction: the change, the status, the audit entry).
pub fn decide(
    conn: &mut PgConnection,
    id: SuggestionId,
    decision: &Decision,
    reviewer: &Reviewer,
) -> Result<Reviewed, ReviewError> {
    let outcome = conn.transaction(|conn| -> Result<Reviewed, ReviewError> {
        let s = suggestions::find(conn, id, true)?
            .filter(|s| reviewer.sees(s.owner_user_id))
            .ok_or(ReviewError::NotFound)?;
        if s.status != SuggestionStatus::Pending {
            return Err(ReviewError::AlreadyDecided(s.status));
        }
        let entry = |action: &str, details: Value| {
            let mut e = NewAuditEntry::new(action)
                .with_actor(reviewer.user)
                .with_target("autofill_suggestion", id)
                .with_details(details);
            e.request_id = reviewer.request_id.clone();
            e
        };
        let base = json!({
            "entity_type": s.entity_type,
            "entity_id": s.entity_id,
            "action": s.action,
            "field": s.field,
            "confidence": s.confidence,
            "interaction_id": s.interaction_id,
        });
        match decision {
            Decision::Reject => {
                suggestions::decide(
                    conn,
                    id,
                    SuggestionStatus::Rejected,
                    Some(reviewer.user),
                    None,
                )?;
                let mut details = base;
                details["proposed"] = s.value.clone();
                audit::record(conn, &entry("autofill.reject", details))?;
                Ok(Reviewed {
                    id,
                    status: SuggestionStatus::Rejected,
                    entity_type: s.entity_type,
                    entity_id: s.entity_id,
                })
            }
            Decision::Approve { value } => {
                let applied_value = value.as_ref().unwrap_or(&s.value);
                match apply(conn, &s, applied_value, Applier::Human(reviewer.user)) {
                    Ok(Applied::Done { entity_id, before }) => {
                        let edited = value.as_ref().filter(|v| **v != s.value);
                        suggestions::decide(
                            conn,
                            id,
                            SuggestionStatus::Approved,
                            Some(reviewer.user),
                            edited,
                        )?;
                        let mut details = base;
                        details["entity_id"] = json!(entity_id);
                        details["before"] = json!(before);
                        details["after"] = applied_value.clone();
                        details["edited"] = json!(edited.is_some());
                        audit::record(conn, &entry("autofill.approve", details))?;
                        Ok(Reviewed {
                            id,
                            status: SuggestionStatus::Approved,
                            entity_type: s.entity_type,
                            entity_id: Some(entity_id),
                        })
                    }
                    // A human applying never needs another review.
                    Ok(Applied::NeedsReview(why)) => Err(ReviewError::Stale(why)),
                    Err(ApplyError::Invalid(msg)) => Err(ReviewError::Invalid(msg)),
                    Err(ApplyError::Db(e)) => Err(ReviewError::Db(e)),
                    // Rolled back, then recorded as superseded below.
                    Err(ApplyError::Stale(why)) => Err(ReviewError::Stale(why)),
                }
            }
        }
    });
    if let Err(ReviewError::Stale(_)) = &outcome {
        suggestions::decide(
            conn,
            id,
            SuggestionStatus::Superseded,
            Some(reviewer.user),
            None,
        )?;
    }
    outcome
}

/// One line of a bulk decision.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkItem {
    #[schema(value_type = i64)]
    pub id: SuggestionId,
    /// `approved`, `rejected`, or `failed` with the reason in `error`.
    pub outcome: String,
    pub error: Option<String>,
}

/// Decides each of `ids` in its own transaction: one failing never undoes the others.
pub fn decide_many(
    conn: &mut PgConnection,
    ids: &[SuggestionId],
    decision: &Decision,
    reviewer: &Reviewer,
) -> Result<Vec<BulkItem>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let item = match decide(conn, *id, decision, reviewer) {
            Ok(r) => BulkItem {
                id: *id,
                outcome: r.status.as_str().to_owned(),
                error: None,
            },
            Err(ReviewError::Db(e)) => return Err(e),
            Err(e) => BulkItem {
                id: *id,
                outcome: "failed".into(),
                error: Some(e.to_string()),
            },
        };
        out.push(item);
    }
    Ok(out)
}
