use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::rgpd_request::{self as requests, RequestKind, RequestState, RgpdRequestId};
use shared::models::user::{find_user, verify_password};

use super::open::enqueue;
use super::subject::{RequestAccepted, RequestView};
use crate::auth::AuthUser;
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
/// which enqueues `rgpd.erase`. Only the requester confirms; for anyone else the request does not exist.
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
    let hash = account.map(|a| a.password_hash).unwrap_or_default();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    if !matches {
        return Err(ApiError::Forbidden("the password does not match".into()));
    }
    let request = enqueue(&state, &user, &request_id, request).await?;
    tracing::info!(rgpd.request = %id, "self-erasure confirmed");
    Ok(HttpResponse::Accepted().json(RequestAccepted {
        request: RequestView::of(&state, &request, caller),
        duplicate: false,
    }))
}
