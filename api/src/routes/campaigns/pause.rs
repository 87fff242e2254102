use actix_web::{HttpResponse, web};
use shared::models::campaign::{Campaign, CampaignId, Change};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// The kill switch: a scheduled or sending campaign stops at once (its owner, managers and admins);
/// audited. Every send checks the campaign's status just before its SMTP transaction, so nothing more
/// leaves, not even messages already queued; a message whose transaction had begun completes.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/pause",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Paused (`paused_at` set)", body = Campaign),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
        (status = 409, description = "Neither scheduled nor sending (`campaign_state`; the message names the status)", body = crate::error::ErrorBody),
    )
)]
pub async fn pause(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    super::apply(
        &state,
        &user,
        &request_id,
        CampaignId(id.into_inner()),
        Change::Pause,
    )
    .await
}
