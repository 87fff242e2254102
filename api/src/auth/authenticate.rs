//! Password sign-in, shared by `POST /api/v1/auth/login` (bearer token) and `POST /api/v1/dashboard/session`
//! (cookie), so both count against the same limits and check passwords the same way.

use actix_web::{HttpMessage, HttpRequest};
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::user::{self, User};

use super::{client_ip, login_delay};
use crate::error::ApiError;
use crate::rate_limit::{self, RateLimit};
use crate::state::AppState;

/// The one answer for an unknown account, an inactive one and a wrong password.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// Why a sign-in was refused.
#[derive(Debug)]
pub enum AuthError {
    /// The email is empty once trimmed.
    EmptyEmail,
    /// Over the per-IP limit, or within the progressive delay of the (account, IP) pair.
    RateLimited(RateLimit),
    /// Unknown account, inactive account or wrong password, deliberately not told apart.
    BadCredentials,
    /// Redis could not count the attempt.
    Redis(redis::RedisError),
    /// Postgres could not look the account up or stamp the login.
    Db(DbError),
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::EmptyEmail => ApiError::invalid_field("email", "email must not be empty"),
            AuthError::RateLimited(limit) => ApiError::RateLimited(limit),
            AuthError::BadCredentials => ApiError::Unauthorized(BAD_CREDENTIALS),
            AuthError::Redis(e) => e.into(),
            AuthError::Db(e) => e.into(),
        }
    }
}

/// Checks an email and password: counts the attempt against the client IP (`LOGIN_RATE_LIMIT_PER_MINUTE`)
/// and the progressive delay of the (account, client IP) pair (see `login_delay`), then looks the active
/// account up, verifies the password and stamps the last login; a success clears the pair's failures.
/// The IP limit goes into the request's extensions (for the X-RateLimit-* headers) whatever the outcome.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    email: &str,
    password: String,
) -> Result<User, AuthError> {
    let account = email.trim().to_lowercase();
    if account.is_empty() {
        return Err(AuthError::EmptyEmail);
    }

    let ip = client_ip(req, state.config.trust_proxy_headers);
    let per_minute = state.config.login_rate_limit_per_minute;
    let mut conn = state.redis();
    let limit = rate_limit::hit(
        &mut conn,
        state.keys(),
        &rate_limit::hashed_bucket("login:ip", &ip),
        per_minute,
    )
    .await
    .map_err(AuthError::Redis)?;
    req.extensions_mut().insert(limit);
    if limit.exceeded {
        return Err(AuthError::RateLimited(limit));
    }
    if let Some(delayed) = login_delay::attempt(&mut conn, state.keys(), &account, &ip)
        .await
        .map_err(AuthError::Redis)?
    {
        req.extensions_mut().insert(delayed);
        return Err(AuthError::RateLimited(delayed));
    }

    let dummy = state.dummy_password_hash.clone();
    let user = verify(&state.pool, account.clone(), password, dummy)
        .await
        .map_err(AuthError::Db)?
        .ok_or(AuthError::BadCredentials)?;
    login_delay::succeeded(&mut conn, state.keys(), &account, &ip)
        .await
        .map_err(AuthError::Redis)?;
    Ok(user)
}

/// Looks the account up and checks the password on the blocking pool; stamps the last login on success.
async fn verify(
    pool: &PgPool,
    email: String,
    password: String,
    dummy_hash: std::sync::Arc<str>,
) -> Result<Option<User>, DbError> {
    run_blocking(pool, move |conn| {
        match user::find_active_by_email(conn, &email)? {
            Some(found) if user::verify_password(&found.password_hash, &password) => {
                user::record_login(conn, found.id)?;
                Ok(Some(found))
            }
            Some(_) => Ok(None),
            None => {
                // An unknown (or inactive) account costs the same argon2 verification as a wrong password,
                // so it cannot be told apart by timing.
                let _ = user::verify_password(&dummy_hash, &password);
                Ok(None)
            }
        }
    })
    .await
}
