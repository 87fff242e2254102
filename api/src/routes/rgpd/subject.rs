//! The shapes shared by the request endpoints: whose data a request is about, and a request as shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::UserId;
use shared::models::rgpd_request::{RequestState, RgpdRequest, SubjectType};
use shared::models::user::{Role, find_user};
use shared::models::{PersonId, person};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Whose data: `self` (the caller's account), or, for admins, a `person` or a `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    #[serde(rename = "self")]
    Caller,
    Person,
    User,
}

/// Body of `POST /api/v1/rgpd/export` and `/erase`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectRequest {
    pub subject: SubjectKind,
    /// With `subject: person`.
    #[serde(default)]
    pub person_id: Option<i64>,
    /// With `subject: user`.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// Why (kept with the request; at most 500 characters, no personal data please).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A request as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    pub id: i64,
    /// `export` or `erasure`.
    pub kind: String,
    /// `person` or `user`.
    pub subject_type: String,
    pub subject_id: i64,
    pub requested_by: Option<i64>,
    /// `awaiting_confirmation`, `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    pub job_id: Option<String>,
    pub requested_at: DateTime<Utc>,
    /// The legal deadline: one month after the request.
    pub due_by: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// Rows exported or erased per table.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
    pub link_expires_at: Option<DateTime<Utc>>,
    pub downloaded_at: Option<DateTime<Utc>>,
    /// The signed one-time link of a finished export, shown to its requester while it works.
    pub download_url: Option<String>,
}

impl RequestView {
    pub(crate) fn of(state: &AppState, r: &RgpdRequest, caller: UserId) -> Self {
        let link_open = r.state == RequestState::Done
            && r.downloaded_at.is_none()
            && r.link_expires_at.is_some_and(|t| t > Utc::now())
            && r.requested_by == Some(caller);
        Self {
            id: r.id.0,
            kind: r.kind.to_string(),
            subject_type: r.subject_type.to_string(),
            subject_id: r.subject_id,
            requested_by: r.requested_by.map(|u| u.0),
            state: r.state.to_string(),
            job_id: r.job_id.clone(),
            requested_at: r.requested_at,
            due_by: r.requested_at + chrono::Months::new(1),
            confirmed_at: r.confirmed_at,
            completed_at: r.completed_at,
            error: r.error.clone(),
            counts: r.counts.clone(),
            link_expires_at: r.link_expires_at,
            downloaded_at: r.downloaded_at,
            download_url: match (link_open, r.link_expires_at) {
                (true, Some(t)) => Some(super::download_path(
                    &state.config.common.rgpd.hasher,
                    r.id,
                    t,
                )),
                _ => None,
            },
        }
    }
}

/// Answer of a new (or already open) request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestAccepted {
    pub request: RequestView,
    /// True when an open request of the same kind about the same subject was returned instead.
    pub duplicate: bool,
}

/// Checks the body against the caller's rights and that the subject exists: the subject, its id, and
/// the reason (trimmed, bounded).
pub(crate) async fn resolve(
    state: &AppState,
    user: &AuthUser,
    body: &SubjectRequest,
) -> Result<(SubjectType, i64, Option<String>), ApiError> {
    let reason = match body.reason.as_deref().map(str::trim) {
        Some(r) if r.chars().count() > 500 => {
            return Err(ApiError::invalid_field(
                "reason",
                "reason is at most 500 characters",
            ));
        }
        Some("") | None => None,
        Some(r) => Some(r.to_owned()),
    };
    let (kind, id) = match (body.subject, body.person_id, body.user_id) {
        (SubjectKind::Caller, None, None) => return Ok((SubjectType::User, user.id.0, reason)),
        (SubjectKind::Caller, _, _) => {
            return Err(ApiError::invalid_field(
                "subject",
                "`self` takes neither person_id nor user_id",
            ));
        }
        (SubjectKind::Person, Some(id), None) => (SubjectType::Person, id),
        (SubjectKind::Person, _, _) => {
            return Err(ApiError::invalid_field(
                "person_id",
                "`person` needs person_id (and no user_id)",
            ));
        }
        (SubjectKind::User, None, Some(id)) => (SubjectType::User, id),
        (SubjectKind::User, _, _) => {
            return Err(ApiError::invalid_field(
                "user_id",
                "`user` needs user_id (and no person_id)",
            ));
        }
    };
    if id <= 0 {
        let field = if kind == SubjectType::Person {
            "person_id"
        } else {
            "user_id"
        };
        return Err(ApiError::invalid_field(
            field,
            format!("{field} must be positive"),
        ));
    }
    if kind == SubjectType::User && id == user.id.0 {
        return Ok((kind, id, reason));
    }
    user.require(Role::Admin)?;
    let exists = run_blocking(&state.pool, move |c| {
        Ok(match kind {
            SubjectType::Person => person::find_person(c, PersonId(id))?.is_some(),
            SubjectType::User => find_user(c, UserId(id))?.is_some(),
        })
    })
    .await?;
    if !exists {
        return Err(ApiError::not_found(format!("{kind} {id} not found")));
    }
    Ok((kind, id, reason))
}
