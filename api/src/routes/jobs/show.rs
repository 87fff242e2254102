use actix_web::{HttpResponse, web};
use crm_queue::JobRecord;

use super::parse_job_id;
use super::visibility::sees;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A job's status, attempts, progress, result or last error, and timestamps. Callers see the jobs they
/// enqueued, managers also their team's, admins every job (jobs of the system: admins only); any other job
/// is answered as unknown.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (ULID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job's record", body = JobRecord),
        (status = 400, description = "Malformed id", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown (or expired) job, or a job the caller may not see", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_job_id(&id)?;
    let not_found = || ApiError::not_found(format!("job {id} not found"));
    let record = state.queue.get(&id).await?.ok_or_else(not_found)?;
    if !sees(&state, &user.principal(), record.actor).await? {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(record))
}
