//! Server-side dashboard sessions: the browser holds an opaque random token in the `crm_session` cookie
//! (HttpOnly, SameSite=Strict, Secure over HTTPS); Redis holds, under the token's SHA-256 (so a Redis dump
//! reveals no usable cookie), the user id, the user's token version at sign-in (a password change, a
//! deactivation or an API logout bumps it and so ends the session) and the session's CSRF token, with an
//! expiry.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use redis::AsyncCommands;
use sha2::{Digest, Sha256};
use shared::models::UserId;

use crate::state::AppState;

/// Name of the session cookie.
pub const COOKIE: &str = "crm_session";
/// Header carrying the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lives after login.
pub const TTL: Duration = Duration::from_secs(8 * 3_600);

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub csrf: String,
    /// The user's token version when the session was opened.
    pub version: i32,
}

/// 160 random bits as 40 hex digits. `Ulid::new` draws its 80 random bits from the thread-local CSPRNG
/// (`rand::rng()`), which keeps the API free of a second source of randomness.
pub fn random_token() -> String {
    (0..2)
        .map(|_| format!("{:020x}", ulid::Ulid::new().random()))
        .collect()
}

fn key(state: &AppState, token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    format!("{}:dash:sess:{}", state.keys().ns(), hex::encode(digest))
}

/// Opens a session for `user` under its current token `version`; returns the cookie token and the session.
pub async fn create(
    state: &AppState,
    user: UserId,
    version: i32,
) -> Result<(String, Session), redis::RedisError> {
    let token = random_token();
    let session = Session {
        user,
        csrf: random_token(),
        version,
    };
    let k = key(state, &token);
    let mut conn = state.redis();
    let _: () = redis::pipe()
        .hset_multiple(
            &k,
            &[
                ("user", session.user.0.to_string()),
                ("csrf", session.csrf.clone()),
                ("ver", session.version.to_string()),
                ("created_at", chrono::Utc::now().timestamp().to_string()),
            ],
        )
        .ignore()
        .expire(&k, i64::try_from(TTL.as_secs()).unwrap_or(28_800))
        .ignore()
        .query_async(&mut conn)
        .await?;
    Ok((token, session))
}

/// The session of a cookie token, if it exists and has not expired.
pub async fn load(state: &AppState, token: &str) -> Result<Option<Session>, redis::RedisError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let mut conn = state.redis();
    let h: HashMap<String, String> = conn.hgetall(key(state, token)).await?;
    let user = h.get("user").and_then(|u| u.parse::<i64>().ok());
    // Sessions opened before token versions existed count as version 0, like tokens.
    let version = match h.get("ver").map(|v| v.parse::<i32>()) {
        None => Some(0),
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => None,
    };
    Ok(match (user, h.get("csrf"), version) {
        (Some(user), Some(csrf), Some(version)) if !csrf.is_empty() => Some(Session {
            user: UserId(user),
            csrf: csrf.clone(),
            version,
        }),
        _ => None,
    })
}

/// Ends a session.
pub async fn destroy(state: &AppState, token: &str) -> Result<(), redis::RedisError> {
    let mut conn = state.redis();
    let _: () = conn.del(key(state, token)).await?;
    Ok(())
}

/// The session token sent by the browser, if any.
pub fn token_of(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// True when the cookie must carry `Secure`: the request came over HTTPS (directly or, with
/// `TRUST_PROXY_HEADERS`, through a proxy saying so) or the public URL is HTTPS.
fn secure(state: &AppState, req: &HttpRequest) -> bool {
    let forwarded_https = state.config.trust_proxy_headers
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    state.config.public_url.starts_with("https://") || req.app_config().secure() || forwarded_https
}

/// The cookie that carries a new session.
pub fn cookie(state: &AppState, req: &HttpRequest, token: String) -> Cookie<'static> {
    Cookie::build(COOKIE, token)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state, req))
        .path("/")
        .max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(TTL.as_secs()).unwrap_or(28_800),
        ))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(state: &AppState, req: &HttpRequest) -> Cookie<'static> {
    let mut c = cookie(state, req, String::new());
    c.make_removal();
    c
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_compared_exactly() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..39]));
        assert!(!same_token("", "x"));
    }
}
