use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::notification;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// How many of the caller's notifications are unread.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/unread-count",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The count", body = UnreadCount),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn unread_count(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let unread = run_blocking(&state.pool, move |c| notification::unread_count(c, id)).await?;
    Ok(HttpResponse::Ok().json(UnreadCount { unread }))
}
