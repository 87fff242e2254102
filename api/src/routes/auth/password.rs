use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::user;

use super::login::{TokenResponse, token_response};
use crate::audit;
use crate::auth::{AuthError, AuthUser, authenticate};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Shortest new password accepted (as `workers create-user`).
const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted: argon2 hashes anything, but there is no point in megabytes.
const MAX_PASSWORD_CHARS: usize = 1_024;

/// A password change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(format = Password)]
    pub current_password: String,
    /// 12 to 1,024 characters.
    #[schema(format = Password)]
    pub new_password: String,
}

/// Changes the caller's password. The current password is checked as a sign-in is (same per-IP limit and
/// progressive delay, so a stolen token cannot be used to guess it quickly). Every token and dashboard
/// session of the caller is revoked (this one included); the answer carries a fresh token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Password changed; a new token (the others are revoked)", body = TokenResponse),
        (status = 400, description = "Wrong current password or unacceptable new one; `field` names which", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    let chars = new_password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(ApiError::invalid_field(
            "new_password",
            format!(
                "the new password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            ),
        ));
    }
    let id = user.id;
    let email = run_blocking(&state.pool, move |conn| user::find_user(conn, id))
        .await?
        .map(|u| u.email)
        .ok_or(ApiError::Unauthorized(
            "missing, invalid or expired bearer token",
        ))?;
    let wrong = || ApiError::invalid_field("current_password", "the current password is wrong");
    match authenticate(&state, &req, &email, current_password).await {
        Ok(found) if found.id == id => {}
        Ok(_) | Err(AuthError::BadCredentials) => return Err(wrong()),
        Err(other) => return Err(other.into()),
    }
    let version = run_blocking(&state.pool, move |conn| {
        user::set_password(conn, id, &new_password)
    })
    .await?;
    audit::record(
        &state,
        audit::Entry {
            actor: id,
            action: "user.password_change",
            target_type: "user",
            target_id: id.to_string(),
            details: serde_json::json!({ "tokens_revoked": true }),
            request_id: &request_id,
        },
    )
    .await;
    tracing::info!(
        user.id = id.0,
        "password changed: tokens and sessions revoked"
    );
    token_response(&state, user.id, user.role, version)
}
