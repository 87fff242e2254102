use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::user;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Signs out everywhere: bumps the caller's token version, so this token, every other token of the
/// caller and every dashboard session of the caller stop working at once (a token is not revoked alone:
/// the version is one number per user, checked on every request at no extra cost).
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every token and dashboard session of the caller is revoked"),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    run_blocking(&state.pool, move |conn| user::bump_token_version(conn, id)).await?;
    tracing::info!(user.id = id.0, "logout: tokens and sessions revoked");
    Ok(HttpResponse::NoContent().finish())
}
