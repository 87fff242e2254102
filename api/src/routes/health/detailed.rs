use actix_web::{HttpResponse, web};

use crate::health::{self, HealthReport, Status};
use crate::state::AppState;

/// Detailed health of Postgres, Redis and the workers. Public: it holds no personal data.
#[utoipa::path(
    get,
    path = "/api/v1/health/detailed",
    tag = "health",
    responses(
        (status = 200, description = "Healthy or degraded", body = HealthReport),
        (status = 503, description = "Postgres or Redis unreachable", body = HealthReport),
    )
)]
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
