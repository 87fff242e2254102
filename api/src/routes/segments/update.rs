use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::segment::{self as model, SegmentId};

use super::{SegmentInput, SegmentView};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Replaces a segment's name and filters, and its manual list when `person_ids` is given (its owner,
/// managers and admins). Campaigns already launched keep the recipients enrolled at launch.
#[utoipa::path(
    put,
    path = "/api/v1/segments/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Segment id")),
    request_body = SegmentInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The segment as changed", body = SegmentView),
        (status = 400, description = "A field is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such segment", body = crate::error::ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<SegmentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = SegmentId(id.into_inner());
    super::writable(&state, &user, id).await?;
    let (fields, people) = super::check(&state, body.into_inner()).await?;
    run_blocking(&state.pool, move |c| {
        model::update(c, id, &fields, people.as_deref())
    })
    .await?
    .ok_or_else(|| super::not_found(id))?;
    Ok(HttpResponse::Ok().json(super::view(&state, id).await?))
}
