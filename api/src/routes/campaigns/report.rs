use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::campaign::{self as model, CampaignId, ReportRow};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A campaign's figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignReport {
    pub campaign_id: i64,
    /// The campaign's status now.
    pub status: String,
    /// One row per step and variant, in order.
    pub rows: Vec<ReportRow>,
}

/// What became of a campaign's mail, per step and A/B variant (every signed-in user).
///
/// Opens overcount: image proxies fetch the pixel ahead of the reader (Apple Mail Privacy Protection
/// loads every image of every message on arrival; security gateways do too), so `unique_opens` counts
/// machines. `unique_opens_human` leaves out sends whose only opens were flagged as a machine's (within
/// 60 s of sending, a known prefetcher's User-Agent, or SendGrid's `sg_machine_open`), which proxies that
/// look like a person still pass. Clicks, machine ones left out, are the firmer signal.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/report",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = CampaignReport),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
    )
)]
pub async fn report(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = CampaignId(id.into_inner());
    let report = run_blocking(&state.pool, move |c| {
        let Some(campaign) = model::find(c, id)? else {
            return Ok(None);
        };
        Ok(Some(CampaignReport {
            campaign_id: id.0,
            status: campaign.status.as_str().to_owned(),
            rows: model::report(c, id)?,
        }))
    })
    .await?
    .ok_or_else(|| super::not_found(id))?;
    Ok(HttpResponse::Ok().json(report))
}
