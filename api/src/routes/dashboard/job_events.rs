use actix_web::{HttpResponse, web};

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::routes::jobs::events::pump;
use crate::routes::jobs::parse_job_id;
use crate::routes::jobs::visibility::sees;
use crate::sse::respond;
use crate::state::AppState;

/// `GET /api/v1/dashboard/jobs/{id}/events`: the job view's live stream (the session's cookie
/// authenticates it, as `EventSource` cannot send a bearer), the same frames as
/// `GET /api/v1/jobs/{id}/events`, for a job the user may see; 404 for any other.
pub async fn events(
    state: web::Data<AppState>,
    user: DashUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_job_id(&id)?;
    let not_found = || ApiError::not_found(format!("job {id} not found"));
    let record = state.queue.get(&id).await?.ok_or_else(not_found)?;
    if !sees(&state, &user.principal(), record.actor).await? {
        return Err(not_found());
    }
    let state = state.get_ref().clone();
    Ok(respond(move |tx| pump(state, id, tx)))
}
