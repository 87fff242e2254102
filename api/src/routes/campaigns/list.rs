use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::campaign::{self as model, Campaign, CampaignId, CampaignStatus};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, page_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only campaigns in this status: `draft`, `scheduled`, `sending`, `paused`, `completed` or
    /// `cancelled`.
    #[param(value_type = Option<String>)]
    pub status: Option<CampaignStatus>,
    /// Campaigns older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// Campaigns, newest first, without their steps (every signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = [Campaign]),
        (status = 400, description = "A parameter is invalid; `field` names it", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_limit(q.limit, 50, 200)?;
    let before = q.before.map(CampaignId);
    let rows = run_blocking(&state.pool, move |c| {
        model::list(c, q.status, before, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
