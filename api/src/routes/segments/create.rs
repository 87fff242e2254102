use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::segment as model;
use shared::models::user::Role;

use super::{SegmentInput, SegmentView};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Creates a segment owned by the caller.
#[utoipa::path(
    post,
    path = "/api/v1/segments",
    tag = "campaigns",
    request_body = SegmentInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = SegmentView),
        (status = 400, description = "A field is invalid (`field` names it: an unknown filter, `person_ids[i]` for a person that does not exist…)", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<SegmentInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::User)?;
    let (fields, people) = super::check(&state, body.into_inner()).await?;
    let owner = user.id;
    let people = people.unwrap_or_default();
    let manual_members = people.len() as i64;
    let segment = run_blocking(&state.pool, move |c| {
        model::create(c, &fields, owner, &people)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/segments/{}", segment.id),
        ))
        .json(SegmentView {
            segment,
            manual_members,
        }))
}
