use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign as model;
use shared::models::user::Role;

use super::{CampaignInput, CampaignView};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Creates a draft campaign owned by the caller. Nothing is sent until it is scheduled.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    request_body = CampaignInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft", body = CampaignView),
        (status = 400, description = "A field is invalid (`field` names it: `steps`, `steps[0].delay_hours`, `steps[i].template_id`, `segment_id`…)", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CampaignInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::User)?;
    let (fields, steps) = body.into_inner().check(&state).await?;
    let owner = user.id;
    let (campaign, steps) = run_blocking(&state.pool, move |c| {
        model::create(c, owner, &fields, &steps)
    })
    .await
    .map_err(super::reference_gone)?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/campaigns/{}", campaign.id),
        ))
        .json(CampaignView { campaign, steps }))
}
