use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, CampaignId, Outcome};

use super::{CampaignInput, CampaignView};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Replaces a draft campaign's fields and steps (its owner, managers and admins). Once scheduled, a
/// campaign is no longer edited: pause or cancel it instead.
#[utoipa::path(
    put,
    path = "/api/v1/campaigns/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = CampaignInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The draft as changed", body = CampaignView),
        (status = 400, description = "A field is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
        (status = 409, description = "Not a draft (`campaign_state`; the message names the status)", body = crate::error::ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<CampaignInput>,
) -> Result<HttpResponse, ApiError> {
    let id = CampaignId(id.into_inner());
    super::writable(&state, &user, id).await?;
    let (fields, steps) = body.into_inner().check(&state).await?;
    match run_blocking(&state.pool, move |c| {
        model::update_draft(c, id, &fields, &steps)
    })
    .await
    .map_err(super::reference_gone)?
    {
        Outcome::Done((campaign, steps)) => {
            Ok(HttpResponse::Ok().json(CampaignView { campaign, steps }))
        }
        Outcome::NotFound => Err(super::not_found(id)),
        Outcome::Refused(status) => Err(super::wrong_status(
            id,
            status,
            "only a draft campaign can be changed",
        )),
    }
}
