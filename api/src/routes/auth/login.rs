use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use shared::models::UserId;
use shared::models::user::Role;

use crate::auth::{AuthError, authenticate};
use crate::error::ApiError;
use crate::state::AppState;

/// Credentials.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

/// A bearer token to send as `Authorization: Bearer <access_token>`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Signs in with email and password. Limited to `LOGIN_RATE_LIMIT_PER_MINUTE` attempts per client IP; after 3
/// consecutive failures of one account from one client IP, that pair's next attempt waits
/// min(2^(failures - 3), 300) seconds after its last failure (a success resets the count).
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Malformed request", body = crate::error::ErrorBody),
        (status = 401, description = "Unknown account, inactive account or wrong password", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts from this IP, or within this account and IP's delay; see Retry-After", body = crate::error::ErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::extract::JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let user = authenticate(&state, &req, &email, password)
        .await
        .inspect_err(|e| {
            if matches!(e, AuthError::BadCredentials) {
                tracing::info!("login refused");
            }
        })?;
    tracing::info!(user.id = user.id.0, "login succeeded");
    token_response(&state, user.id, user.role, user.token_version)
}

/// A fresh bearer token for the user under token `version`, as sign-in and a password change answer it
/// (never cached).
pub(crate) fn token_response(
    state: &AppState,
    id: UserId,
    role: Role,
    version: i32,
) -> Result<HttpResponse, ApiError> {
    let token = state
        .jwt
        .issue(id, role, version)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("signing a token")))?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: token.token,
            token_type: "Bearer",
            expires_in: token.expires_in,
        }))
}
