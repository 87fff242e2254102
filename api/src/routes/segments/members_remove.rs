use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::segment::{self as model, SegmentId};

use super::PeopleInput;
use super::members_add::MembersChanged;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Removes people from a segment's manual list (its owner, managers and admins); people not on it are
/// ignored, so ids of people deleted since are accepted.
#[utoipa::path(
    delete,
    path = "/api/v1/segments/{id}/members",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Segment id")),
    request_body = PeopleInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed", body = MembersChanged),
        (status = 400, description = "`person_ids` is empty or too long", body = crate::error::ErrorBody),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such segment", body = crate::error::ErrorBody),
    )
)]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<PeopleInput>,
) -> Result<HttpResponse, ApiError> {
    let id = SegmentId(id.into_inner());
    super::writable(&state, &user, id).await?;
    let people = body.into_inner().person_ids;
    if people.is_empty() || people.len() > super::MAX_PEOPLE {
        return Err(ApiError::invalid_field(
            "person_ids",
            "person_ids must list 1 to 10,000 people",
        ));
    }
    let changed = run_blocking(&state.pool, move |c| {
        let removed = model::remove_members(c, id, &people)?;
        Ok(MembersChanged {
            changed: removed as i64,
            manual_members: model::member_count(c, id)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}
