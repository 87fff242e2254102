use actix_web::{HttpResponse, web};

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::routes::jobs::events::stream_for;
use crate::state::AppState;

/// `GET /api/v1/dashboard/jobs/{id}/events`: the job view's live stream (the session's cookie
/// authenticates it, as `EventSource` cannot send a bearer), the same frames as
/// `GET /api/v1/jobs/{id}/events`, for a job the user may see; 404 for any other.
pub async fn events(
    state: web::Data<AppState>,
    user: DashUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    stream_for(&state, &user.principal(), &id).await
}
