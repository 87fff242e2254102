use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::jobs::catalogue;

use super::require_runner;
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::routes::schedules::find_entry;
use crate::routes::schedules::run::fire_now;
use crate::state::AppState;

#[derive(Serialize)]
pub struct RunScheduleResponse {
    pub schedule: String,
    pub job_id: String,
}

/// `POST /api/v1/dashboard/schedules/{name}/run`: fires the entry now (also when disabled). Needs the
/// role that may run the entry's job.
pub async fn run(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let entry = find_entry(&state, &name)?;
    if let Some(spec) = catalogue::find(&entry.job) {
        require_runner(&user, spec)?;
    }
    let fired = fire_now(&state, entry, user.id, &request_id).await?;
    Ok(HttpResponse::Accepted().json(RunScheduleResponse {
        schedule: entry.name.clone(),
        job_id: fired.job_id,
    }))
}
