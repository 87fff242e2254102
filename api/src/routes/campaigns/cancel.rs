use actix_web::{HttpResponse, web};
use shared::models::campaign::{Campaign, CampaignId, Change};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Cancels a campaign for good (draft, scheduled, sending or paused; its owner, managers and admins);
/// audited. Its pending sends become `skipped` (`skip_reason` `cancelled`).
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/cancel",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = Campaign),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
        (status = 409, description = "Completed or already cancelled (`campaign_state`; the message names the status)", body = crate::error::ErrorBody),
    )
)]
pub async fn cancel(
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
        Change::Cancel,
    )
    .await
}
