use actix_web::{HttpRequest, HttpResponse, web};
use shared::db::run_blocking;
use shared::models::UserId;
use shared::models::rgpd_request::{RequestKind, SubjectType};
use shared::models::user::{Role, find_user};

use super::open::{Opening, open};
use super::subject::{RequestAccepted, SubjectRequest, resolve};
use crate::access_log;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Asks for an erasure (RGPD Art. 17). Admins erase a person or a user at once (`rgpd.erase` is
/// enqueued). A user erasing their own account (`{"subject": "self"}`) gets a request awaiting
/// confirmation: `POST /api/v1/rgpd/requests/{id}/confirm` with their password starts it (within 24 h).
/// The erasure is written to the erasure ledger before it acts, so a backup restored later does not bring
/// the subject back. Admin accounts are refused (409 `admin_account`: demote first).
#[utoipa::path(
    post,
    path = "/api/v1/rgpd/erase",
    tag = "rgpd",
    request_body = SubjectRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Request stored: queued, or awaiting the caller's confirmation (or the open one: `duplicate`)", body = RequestAccepted),
        (status = 400, description = "Bad subject, id or reason; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Another subject than the caller, asked by a non-admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such person or user", body = crate::error::ErrorBody),
        (status = 409, description = "The subject is an admin account (`admin_account`)", body = crate::error::ErrorBody),
    )
)]
pub async fn erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<SubjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let (subject_type, subject_id, reason) = resolve(&state, &user, &body.into_inner()).await?;
    if subject_type == SubjectType::User {
        let subject = run_blocking(&state.pool, move |c| find_user(c, UserId(subject_id))).await?;
        if subject.is_some_and(|u| u.role == Role::Admin) {
            return Err(ApiError::Conflict {
                code: "admin_account",
                message: "admin accounts are not erased: demote the account first".into(),
            });
        }
    }
    access_log::note(&req, subject_type.into(), Some(subject_id), None);
    let opening = Opening {
        kind: RequestKind::Erasure,
        subject_type,
        subject_id,
        reason,
        needs_confirmation: subject_type == SubjectType::User && subject_id == user.id.0,
    };
    open(&state, &user, &request_id, opening).await
}
