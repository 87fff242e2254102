use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::{AuthError, authenticate};
use crate::dashboard::session;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Dashboard credentials.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    pub email: String,
    pub password: String,
}

/// The signed-in user and the CSRF token to send as `X-CSRF-Token` on every action.
#[derive(Serialize)]
pub struct SessionResponse {
    pub user_id: i64,
    pub role: String,
    pub csrf_token: String,
}

/// `POST /api/v1/dashboard/session`: signs in with a platform account and sets the `crm_session` cookie.
/// Counted against the same per-IP limit and per-(account, IP) delay as `POST /api/v1/auth/login`.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<SessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let SessionRequest { email, password } = body.into_inner();
    let user = authenticate(&state, &req, &email, password)
        .await
        .inspect_err(|e| {
            if matches!(e, AuthError::BadCredentials) {
                tracing::info!("dashboard login refused");
            }
        })?;
    let (token, sess) = session::create(&state, user.id, user.token_version).await?;
    tracing::info!(user.id = user.id.0, "dashboard login succeeded");
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .cookie(session::cookie(&state, &req, token))
        .json(SessionResponse {
            user_id: user.id.0,
            role: user.role.to_string(),
            csrf_token: sess.csrf,
        }))
}
