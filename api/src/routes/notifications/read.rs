use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::notification::{self, Notification};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Marks one of the caller's notifications read (again: no change).
#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    tag = "notifications",
    params(("id" = i64, Path, description = "Notification id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The notification, read", body = Notification),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "The caller has no such notification", body = crate::error::ErrorBody),
    )
)]
pub async fn read(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, id) = (user.id, id.into_inner());
    let n = run_blocking(&state.pool, move |c| {
        notification::mark_read(c, user_id, id)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("notification {id} not found")))?;
    Ok(HttpResponse::Ok().json(n))
}
