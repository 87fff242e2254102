use actix_web::{HttpResponse, web};
use shared::models::campaign::{Campaign, CampaignId, Change};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Resumes a paused campaign (its owner, managers and admins); audited. It goes back to `sending` when it
/// had been launched (messages due meanwhile leave now), else to `scheduled` (launched when due, at once
/// if its time has passed).
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/resume",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Resumed", body = Campaign),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
        (status = 409, description = "Not paused (`campaign_state`; the message names the status)", body = crate::error::ErrorBody),
    )
)]
pub async fn resume(
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
        Change::Resume,
    )
    .await
}
