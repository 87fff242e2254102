use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::segment::{self as model, SegmentId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Most people ids shown by a preview.
const SAMPLE: i64 = 20;

/// Who a segment reaches now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentPreview {
    /// People reached: on the manual list or matching the filters, with an address, not anonymised.
    pub count: i64,
    /// Up to 20 of them, by id.
    pub sample_person_ids: Vec<i64>,
}

/// Who a segment reaches now, as enrolment at launch would count them (every signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/segments/{id}/preview",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Segment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The count and a sample", body = SegmentPreview),
        (status = 404, description = "No such segment", body = crate::error::ErrorBody),
    )
)]
pub async fn preview(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = SegmentId(id.into_inner());
    let found = run_blocking(&state.pool, move |c| {
        if model::find(c, id)?.is_none() {
            return Ok(None);
        }
        model::preview(c, id, SAMPLE).map(Some)
    })
    .await?
    .ok_or_else(|| super::not_found(id))?;
    let (count, sample_person_ids) = found;
    Ok(HttpResponse::Ok().json(SegmentPreview {
        count,
        sample_person_ids,
    }))
}
