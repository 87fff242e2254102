use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::notification::{self, Preference};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The caller's channel for every notification kind (`in_app` unless they chose otherwise).
#[utoipa::path(
    get,
    path = "/api/v1/notifications/preferences",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One entry per kind", body = [Preference]),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn preferences(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let prefs = run_blocking(&state.pool, move |c| notification::preferences(c, id)).await?;
    Ok(HttpResponse::Ok().json(prefs))
}
