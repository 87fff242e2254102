use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::rgpd_request::{self as requests, RequestKind, RequestState, RgpdRequestId};
use shared::models::user::find_user;

use super::open::enqueue;
use super::subject::{RequestAccepted, RequestView};
use crate::auth::{AuthError, AuthUser, authenticate};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// How long a self-erasure waits for its confirmation.
const CONFIRMATION_WINDOW_HOURS: i64 = 24;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The caller's current password.
    pub password: String,
}

/// Confirms the erasure of the caller's own account with their password (within 24 h of the request),
/// which enqueues `rgpd.erase`. The password is checked as a sign-in is (same limits and delays). Only the requester confirms; for anyone else the request does not exist.
#[utoipa::path(
    post,
    path = "/api/v1/rgpd/requests/{id}/confirm",
    tag = "rgpd",
    params(("id" = i64, Path, description = "Request id")),
    request_body = ConfirmRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Confirmed: the erasure is queued", body = RequestAccepted),
        (status = 400, description = "Missing password", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong password", body = crate::error::ErrorBody),
        (status = 404, description = "No such request of the caller", body = crate::error::ErrorBody),
        (status = 409, description = "Not awaiting confirmation (`not_awaiting_confirmation`), or its window passed (`confirmation_expired`)", body = crate::error::ErrorBody),
    )
)]
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    path: web::Path<i64>,
    body: JsonBody<ConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = RgpdRequestId(path.into_inner());
    let password = body.into_inner().password;
    let caller = user.id;
    let (request, account) = run_blocking(&state.pool, move |c| {
        Ok((requests::find(c, id)?, find_user(c, caller)?))
    })
    .await?;
    let request = request
        .filter(|r| {
            r.kind == RequestKind::Erasure && r.is_self_request() && r.requested_by == Some(caller)
        })
        .ok_or_else(|| ApiError::not_found(format!("RGPD request {id} not found")))?;
    if request.state != RequestState::AwaitingConfirmation {
        return Err(ApiError::Conflict {
            code: "not_awaiting_confirmation",
            message: format!("the request is {}", request.state),
        });
    }
    if request.requested_at + chrono::Duration::hours(CONFIRMATION_WINDOW_HOURS) < Utc::now() {
        run_blocking(&state.pool, move |c| requests::cancel(c, id)).await?;
        return Err(ApiError::Conflict {
            code: "confirmation_expired",
            message: "the confirmation window (24 h) has passed: ask again".into(),
        });
    }
    // Checked as a sign-in is (the per-IP limit and the progressive delay of repeated failures), like
    // the password change: the confirmation must not become a way around them.
    let email = account.map(|a| a.email).ok_or(ApiError::Unauthorized(
        "missing, invalid or expired bearer token",
    ))?;
    match authenticate(&state, &req, &email, password).await {
        Ok(found) if found.id == caller => {}
        Ok(_) | Err(AuthError::BadCredentials) => {
            return Err(ApiError::Forbidden("the password does not match".into()));
        }
        Err(other) => return Err(other.into()),
    }
    let request = enqueue(&state, &user, &request_id, request).await?;
    tracing::info!(rgpd.request = %id, "self-erasure confirmed");
    Ok(HttpResponse::Accepted().json(RequestAccepted {
        request: RequestView::of(&state, &request, caller),
        duplicate: false,
    }))
}
