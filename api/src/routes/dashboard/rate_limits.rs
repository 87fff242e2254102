use actix_web::{HttpResponse, web};

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/dashboard/rate-limits`: the global rate-limit buckets in use (limit, tokens now, jobs
/// waiting for a token, provider pause, totals).
pub async fn list(state: web::Data<AppState>, _user: DashUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.queue.buckets().await?))
}
