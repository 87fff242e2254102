use actix_web::{HttpResponse, web};
use crm_queue::JobRecord;
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::job_history::{self, JobHistory};
use shared::permissions::Actor;

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::routes::jobs::parse_job_id;
use crate::routes::jobs::visibility::sees;
use crate::state::AppState;

/// A job as the job view shows it: the live record from Redis when it still exists, and the durable
/// summary from `job_history` once it has finished (the only source left after the record expired).
#[derive(Serialize)]
pub struct JobView {
    pub id: String,
    pub record: Option<JobRecord>,
    pub history: Option<JobHistory>,
}

/// `GET /api/v1/dashboard/jobs/{id}`: a job the user may see (their own, their team's for managers, every
/// job for admins); 404 for any other.
pub async fn show(
    state: web::Data<AppState>,
    user: DashUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_job_id(&id)?;
    let record = state.queue.get(&id).await?;
    let key = id.to_string();
    let history = run_blocking(&state.pool, move |conn| job_history::find(conn, &key)).await?;
    let actor = match (&record, &history) {
        (Some(r), _) => r.actor,
        (None, Some(h)) => Actor::from_user_id(h.actor_user_id),
        (None, None) => return Err(ApiError::not_found(format!("job {id} not found"))),
    };
    if !sees(&state, &user.principal(), actor).await? {
        return Err(ApiError::not_found(format!("job {id} not found")));
    }
    Ok(HttpResponse::Ok().json(JobView {
        id: id.to_string(),
        record,
        history,
    }))
}
