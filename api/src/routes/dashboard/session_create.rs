use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::db::{DbError, run_blocking};
use shared::models::user::{self, User};

use crate::dashboard::session;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::rate_limit;
use crate::routes::auth::login::client_ip;
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

const BAD_CREDENTIALS: &str = "invalid email or password";

/// `POST /api/v1/dashboard/session`: signs in with a platform account and sets the `crm_session` cookie.
/// Counted against the same per-IP and per-account limits as `POST /api/v1/auth/login`.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<SessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let SessionRequest { email, password } = body.into_inner();
    let account = email.trim().to_lowercase();
    if account.is_empty() {
        return Err(ApiError::invalid_field("email", "email must not be empty"));
    }

    let per_minute = state.config.login_rate_limit_per_minute;
    let ip = client_ip(&req, state.config.trust_proxy_headers);
    let mut conn = state.redis();
    let by_ip = rate_limit::hit(
        &mut conn,
        state.keys(),
        &rate_limit::hashed_bucket("login:ip", &ip),
        per_minute,
    )
    .await?;
    let by_account = rate_limit::hit(
        &mut conn,
        state.keys(),
        &rate_limit::hashed_bucket("login:acct", &account),
        per_minute,
    )
    .await?;
    let limit = by_ip.tightest(by_account);
    req.extensions_mut().insert(limit);
    if limit.exceeded {
        return Err(ApiError::RateLimited(limit));
    }

    let dummy = state.dummy_password_hash.clone();
    let found = run_blocking(&state.pool, move |conn| {
        match user::find_active_by_email(conn, &account)? {
            Some(found) if user::verify_password(&found.password_hash, &password) => {
                user::record_login(conn, found.id)?;
                Ok(Some(found))
            }
            Some(_) => Ok(None),
            None => {
                // Same cost as a wrong password, so unknown accounts cannot be told apart by timing.
                let _ = user::verify_password(&dummy, &password);
                Ok::<Option<User>, DbError>(None)
            }
        }
    })
    .await?;
    let Some(user) = found else {
        tracing::info!("dashboard login refused");
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    };
    let (token, sess) = session::create(&state, user.id).await?;
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
