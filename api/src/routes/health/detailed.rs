use actix_web::{HttpResponse, web};

use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::health::{self, HealthReport, Status};
use crate::state::AppState;

/// Detailed health of Postgres, Redis and the workers. With `API_METRICS_BIND` set it is served there only,
/// without authentication; otherwise on the main bind to admins (bearer token).
#[utoipa::path(
    get,
    path = "/api/v1/health/detailed",
    tag = "health",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Healthy or degraded", body = HealthReport),
        (status = 401, description = "Missing or invalid token (main bind)", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin (main bind)", body = crate::error::ErrorBody),
        (status = 503, description = "Postgres or Redis unreachable", body = HealthReport),
    )
)]
pub async fn detailed_for_admin(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    Ok(detailed(state).await)
}

/// The detailed health report, unauthenticated (the `API_METRICS_BIND` listener).
pub async fn detailed(state: web::Data<AppState>) -> HttpResponse {
    let report = health::check(&state).await;
    let mut response = if report.status == Status::Unhealthy {
        HttpResponse::ServiceUnavailable()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(report)
}
