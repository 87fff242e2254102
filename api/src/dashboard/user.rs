//! `DashUser`: the signed-in operator of a dashboard request, from the `crm_session` cookie.
//!
//! Extraction finds the server-side session, checks the CSRF token on every state-changing method (anything
//! but GET/HEAD/OPTIONS), counts the request against the user's per-minute limit and re-reads the account,
//! so a deactivated user is locked out and a role change applies at once.

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures::future::LocalBoxFuture;
use shared::models::UserId;
use shared::models::user::Role;

use super::session::{self, Session};
use crate::error::ApiError;
use crate::state::AppState;

const NO_SESSION: &str = "not signed in to the dashboard, or the session expired";

/// A signed-in, active dashboard user whose request passed the CSRF check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashUser {
    pub id: UserId,
    /// The current role (read from the database at each request).
    pub role: Role,
    /// The current team (managers see their team's jobs).
    pub team_id: Option<shared::models::TeamId>,
    /// The session's CSRF token (given to the page by `GET /api/v1/dashboard/me`).
    pub csrf: String,
    /// The cookie token (to end the session on logout).
    pub(crate) token: String,
}

impl DashUser {
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

    /// Refuses with 403 unless the user may act on queues, jobs and schedules (manager or admin).
    pub fn require_operator(&self) -> Result<(), ApiError> {
        self.require(Role::Manager)
    }

    /// The user as the access rules (`shared::permissions`) see them.
    pub fn principal(&self) -> shared::permissions::Principal {
        shared::permissions::Principal {
            id: self.id,
            role: self.role,
            team_id: self.team_id,
        }
    }

    /// True when the user may act (manager or admin).
    pub fn can_act(&self) -> bool {
        self.role.at_least(Role::Manager)
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_ok(req: &HttpRequest, session: &Session) -> bool {
    req.headers()
        .get(session::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| session::same_token(sent.trim(), &session.csrf))
}

impl FromRequest for DashUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(user) = req.extensions().get::<DashUser>() {
                return Ok(user.clone());
            }
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?
                .clone();
            let token = session::token_of(&req).ok_or(ApiError::Unauthorized(NO_SESSION))?;
            let session = session::load(&state, &token)
                .await?
                .ok_or(ApiError::Unauthorized(NO_SESSION))?;
            if changes_state(req.method()) && !csrf_ok(&req, &session) {
                tracing::info!(
                    user.id = session.user.0,
                    "dashboard request refused: CSRF token"
                );
                return Err(ApiError::Forbidden(
                    "missing or wrong X-CSRF-Token header".into(),
                ));
            }

            let id = session.user;
            let admitted = crate::auth::admit(&req, &state, id, session.version)
                .await?
                .ok_or(ApiError::Unauthorized(NO_SESSION))?;
            let user = DashUser {
                id: admitted.id,
                role: admitted.role,
                team_id: admitted.team_id,
                csrf: session.csrf,
                token,
            };
            req.extensions_mut().insert(user.clone());
            tracing::Span::current().record("user.id", id.0);
            Ok(user)
        })
    }
}
