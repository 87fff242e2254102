use actix_web::{HttpResponse, web};
use crm_queue::JobRecord;
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::job_history::{self, JobHistory};

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::routes::jobs::parse_job_id;
use crate::state::AppState;

/// A job as the job view shows it: the live record from Redis when it still exists, and the durable
/// summary from `job_history` once it has finished (the only source left after the record expired).
#[derive(Serialize)]
pub struct JobView {
    pub id: String,
    pub record: Option<JobRecord>,
    pub history: Option<JobHistory>,
}

/// `GET /api/v1/dashboard/jobs/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    _user: DashUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_job_id(&id)?;
    let record = state.queue.get(&id).await?;
    let key = id.to_string();
    let history = run_blocking(&state.pool, move |conn| job_history::find(conn, &key)).await?;
    if record.is_none() && history.is_none() {
        return Err(ApiError::not_found(format!("job {id} not found")));
    }
    Ok(HttpResponse::Ok().json(JobView {
        id: id.to_string(),
        record,
        history,
    }))
}
