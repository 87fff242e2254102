//! `AuthUser`: the caller of an authenticated route, from `Authorization: Bearer <jwt>`.
//!
//! Extraction checks the token (signature, algorithm, expiry, an `iat` not in the future), counts the request
//! against the caller's per-minute limit, and re-reads the account so a deactivated user is locked out, a
//! role change applies at once, and a token issued under an older token version (before a password change,
//! a deactivation or a logout) is refused, without waiting for the token to expire.

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures::future::LocalBoxFuture;
use shared::db::run_blocking;
use shared::models::user::{Role, find_user};
use shared::models::{TeamId, UserId};
use shared::permissions::Principal;

use crate::error::ApiError;
use crate::rate_limit;
use crate::state::AppState;

/// An authenticated, active user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: UserId,
    /// The user's current role (read from the database, not from the token).
    pub role: Role,
    /// The user's current team (managers see their team's jobs).
    pub team_id: Option<TeamId>,
}

impl AuthUser {
    /// Refuses with 403 unless the user's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role.at_least(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this action requires the {role} role or higher"
            )))
        }
    }

    /// The caller as the access rules (`shared::permissions`) see them.
    pub fn principal(&self) -> Principal {
        Principal {
            id: self.id,
            role: self.role,
            team_id: self.team_id,
        }
    }

    /// The mailbox rule (`Principal::sees_mailbox_of`): owner or admin.
    pub fn sees_mailbox_of(&self, owner: UserId) -> bool {
        self.principal().sees_mailbox_of(owner)
    }
}

/// Counts a request of user `id` against the per-user limit (the limit goes into the request's extensions
/// for the X-RateLimit-* headers) and re-reads the account: `None` when it is gone or deactivated, or when
/// `version` (the token's or the session's) is not the account's current token version. Shared by the
/// bearer-token and the dashboard-session extractors.
pub(crate) async fn admit(
    req: &HttpRequest,
    state: &AppState,
    id: UserId,
    version: i32,
) -> Result<Option<AuthUser>, ApiError> {
    let limit = rate_limit::hit(
        &mut state.redis(),
        state.keys(),
        &format!("api:user:{id}"),
        state.config.rate_limit_per_minute,
    )
    .await?;
    req.extensions_mut().insert(limit);
    if limit.exceeded {
        return Err(ApiError::RateLimited(limit));
    }
    let user = run_blocking(&state.pool, move |conn| find_user(conn, id)).await?;
    Ok(user
        .filter(|u| u.active && u.token_version == version)
        .map(|u| AuthUser {
            id: u.id,
            role: u.role,
            team_id: u.team_id,
        }))
}

const INVALID_TOKEN: &str = "missing, invalid or expired bearer token";

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(user) = req.extensions().get::<AuthUser>() {
                return Ok(*user);
            }
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?
                .clone();
            let token = bearer(&req).ok_or(ApiError::Unauthorized(INVALID_TOKEN))?;
            let claims = state
                .jwt
                .verify(&token)
                .map_err(|_| ApiError::Unauthorized(INVALID_TOKEN))?;
            let id = UserId(
                claims
                    .sub
                    .parse::<i64>()
                    .map_err(|_| ApiError::Unauthorized(INVALID_TOKEN))?,
            );

            let user = admit(&req, &state, id, claims.ver)
                .await?
                .ok_or(ApiError::Unauthorized(INVALID_TOKEN))?;
            req.extensions_mut().insert(user);
            tracing::Span::current().record("user.id", id.0);
            Ok(user)
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn parses_bearer_header() {
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Bearer abc.def.ghi"))
            .to_http_request();
        assert_eq!(bearer(&req).as_deref(), Some("abc.def.ghi"));
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "bearer  xyz"))
            .to_http_request();
        assert_eq!(bearer(&req).as_deref(), Some("xyz"));
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Basic abc"))
            .to_http_request();
        assert_eq!(bearer(&req), None);
        assert_eq!(bearer(&TestRequest::default().to_http_request()), None);
    }
}
