use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::user::{self, User};

use crate::error::ApiError;
use crate::rate_limit::{self, RateLimit};
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

/// The one answer for an unknown account, an inactive one and a wrong password.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// Signs in with email and password. Limited to `LOGIN_RATE_LIMIT_PER_MINUTE` attempts per client IP and per
/// account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Malformed request", body = crate::error::ErrorBody),
        (status = 401, description = "Unknown account, inactive account or wrong password", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = crate::error::ErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::extract::JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let account = email.trim().to_lowercase();
    if account.is_empty() {
        return Err(ApiError::invalid_field("email", "email must not be empty"));
    }

    let limit = check_rate_limits(&state, &req, &account).await?;
    req.extensions_mut().insert(limit);
    if limit.exceeded {
        return Err(ApiError::RateLimited(limit));
    }

    let dummy = state.dummy_password_hash.clone();
    let user = authenticate(&state.pool, account, password, dummy).await?;
    let Some(user) = user else {
        tracing::info!("login refused");
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    };
    let token = state
        .jwt
        .issue(user.id, user.role)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("signing a token")))?;
    tracing::info!(user.id = user.id.0, "login succeeded");
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: token.token,
            token_type: "Bearer",
            expires_in: token.expires_in,
        }))
}

/// Counts the attempt against the client IP and the account (both hashed in the key), returning the tighter.
async fn check_rate_limits(
    state: &AppState,
    req: &HttpRequest,
    account: &str,
) -> Result<RateLimit, ApiError> {
    let per_minute = state.config.login_rate_limit_per_minute;
    let ip = client_ip(req, state.config.trust_proxy_headers);
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
        &rate_limit::hashed_bucket("login:acct", account),
        per_minute,
    )
    .await?;
    Ok(by_ip.tightest(by_account))
}

/// The client's IP: the TCP peer, or with `TRUST_PROXY_HEADERS` the last `X-Forwarded-For` hop (the one
/// appended by our proxy; earlier hops are whatever the client chose to send).
pub fn client_ip(req: &HttpRequest, trust_proxy_headers: bool) -> String {
    if trust_proxy_headers
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').map(str::trim).find(|h| !h.is_empty()))
    {
        return forwarded.to_owned();
    }
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

/// Looks the account up and checks the password on the blocking pool. An unknown (or inactive) account is
/// verified against a dummy hash, so it answers in the same time as a wrong password. Stamps the last login.
async fn authenticate(
    pool: &PgPool,
    email: String,
    password: String,
    dummy_hash: std::sync::Arc<str>,
) -> Result<Option<User>, ApiError> {
    let user = run_blocking(pool, move |conn| {
        match user::find_active_by_email(conn, &email)? {
            Some(found) if user::verify_password(&found.password_hash, &password) => {
                user::record_login(conn, found.id)?;
                Ok(Some(found))
            }
            Some(_) => Ok(None),
            None => {
                let _ = user::verify_password(&dummy_hash, &password);
                Ok::<_, DbError>(None)
            }
        }
    })
    .await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use actix_web::test::TestRequest;

    use super::client_ip;

    #[test]
    fn client_ip_uses_the_peer_unless_proxies_are_trusted() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.7:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4, 192.168.1.9"))
            .to_http_request();
        assert_eq!(client_ip(&req, false), "10.0.0.7");
        assert_eq!(client_ip(&req, true), "192.168.1.9");
        assert_eq!(
            client_ip(&TestRequest::default().to_http_request(), true),
            "unknown"
        );
    }
}
