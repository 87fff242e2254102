use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::notification;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    /// Notifications that were unread.
    pub marked: usize,
}

/// Marks every notification of the caller read.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/read-all",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many were unread", body = MarkedRead),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn read_all(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let marked = run_blocking(&state.pool, move |c| notification::mark_all_read(c, id)).await?;
    Ok(HttpResponse::Ok().json(MarkedRead { marked }))
}
