use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::segment::{self as model, SegmentId};

use super::PeopleInput;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// What a change of the manual list did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MembersChanged {
    /// People added or removed by this request (those already in, or not in, are not counted).
    pub changed: i64,
    /// People on the manual list now.
    pub manual_members: i64,
}

/// Adds people to a segment's manual list (its owner, managers and admins).
#[utoipa::path(
    post,
    path = "/api/v1/segments/{id}/members",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Segment id")),
    request_body = PeopleInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Added", body = MembersChanged),
        (status = 400, description = "`person_ids` is empty, too long, or `person_ids[i]` is no person", body = crate::error::ErrorBody),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such segment", body = crate::error::ErrorBody),
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<PeopleInput>,
) -> Result<HttpResponse, ApiError> {
    let id = SegmentId(id.into_inner());
    super::writable(&state, &user, id).await?;
    let people = super::check_people(&state, body.into_inner().person_ids, false).await?;
    let changed = run_blocking(&state.pool, move |c| {
        let added = model::add_members(c, id, &people)?;
        Ok(MembersChanged {
            changed: added as i64,
            manual_members: model::member_count(c, id)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}
