use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, CampaignId};

use super::CampaignView;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A campaign with its steps (every signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign", body = CampaignView),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = CampaignId(id.into_inner());
    let view = run_blocking(&state.pool, move |c| {
        let Some(campaign) = model::find(c, id)? else {
            return Ok(None);
        };
        Ok(Some(CampaignView {
            campaign,
            steps: model::steps(c, id)?,
        }))
    })
    .await?
    .ok_or_else(|| super::not_found(id))?;
    Ok(HttpResponse::Ok().json(view))
}
