use actix_web::{HttpResponse, web};
use shared::models::segment::SegmentId;

use super::SegmentView;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A segment with the size of its manual list (every signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/segments/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Segment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The segment", body = SegmentView),
        (status = 404, description = "No such segment", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = super::view(&state, SegmentId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(view))
}
