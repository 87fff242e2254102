use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::Deletion;
use shared::models::segment::{self as model, SegmentId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Deletes a segment (its owner, managers and admins) that no campaign uses.
#[utoipa::path(
    delete,
    path = "/api/v1/segments/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Segment id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such segment", body = crate::error::ErrorBody),
        (status = 409, description = "A campaign uses it (`in_use`)", body = crate::error::ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = SegmentId(id.into_inner());
    super::writable(&state, &user, id).await?;
    match run_blocking(&state.pool, move |c| model::delete(c, id)).await? {
        Deletion::Deleted => Ok(HttpResponse::NoContent().finish()),
        Deletion::NotFound => Err(super::not_found(id)),
        Deletion::InUse => Err(ApiError::Conflict {
            code: "in_use",
            message: format!("segment {id} is used by a campaign"),
        }),
    }
}
