use actix_web::{HttpResponse, web};

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/dashboard/workers`: live worker processes (id, host, queues, started, heartbeat, in flight).
pub async fn list(state: web::Data<AppState>, _user: DashUser) -> Result<HttpResponse, ApiError> {
    let mut processes = state.queue.processes().await?;
    processes.sort_by(|a, b| a.host.cmp(&b.host).then(a.id.cmp(&b.id)));
    Ok(HttpResponse::Ok().json(processes))
}
