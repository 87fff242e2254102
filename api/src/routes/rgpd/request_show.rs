use actix_web::{HttpRequest, HttpResponse, web};
use shared::db::run_blocking;
use shared::models::rgpd_request::{self as requests, RgpdRequestId};

use super::subject::RequestView;
use crate::access_log;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// One request: its state, deadline, counts and, for its requester once an export is done, the signed
/// one-time download link. Admins see every request; others those they made.
#[utoipa::path(
    get,
    path = "/api/v1/rgpd/requests/{id}",
    tag = "rgpd",
    params(("id" = i64, Path, description = "Request id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The request", body = RequestView),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such request visible to the caller", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = RgpdRequestId(path.into_inner());
    let request = run_blocking(&state.pool, move |c| requests::find(c, id))
        .await?
        .filter(|r| user.principal().is_admin() || r.requested_by == Some(user.id))
        .ok_or_else(|| ApiError::not_found(format!("RGPD request {id} not found")))?;
    access_log::note(
        &req,
        request.subject_type.into(),
        Some(request.subject_id),
        None,
    );
    Ok(HttpResponse::Ok().json(RequestView::of(&state, &request, user.id)))
}
