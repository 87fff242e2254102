use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, CampaignId, Outcome};

use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Deletes a draft or cancelled campaign with its send records and events (its owner, managers and
/// admins); audited. Suppressions it caused stay.
#[utoipa::path(
    delete,
    path = "/api/v1/campaigns/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
        (status = 409, description = "Neither a draft nor cancelled (`campaign_state`; the message names the status)", body = crate::error::ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = CampaignId(id.into_inner());
    super::writable(&state, &user, id).await?;
    match run_blocking(&state.pool, move |c| model::delete(c, id)).await? {
        Outcome::Done(()) => {
            audit::record(
                &state,
                audit::Entry {
                    actor: user.id,
                    action: "campaign.delete",
                    target_type: "campaign",
                    target_id: id.to_string(),
                    details: serde_json::json!({}),
                    request_id: &request_id,
                },
            )
            .await;
            Ok(HttpResponse::NoContent().finish())
        }
        Outcome::NotFound => Err(super::not_found(id)),
        Outcome::Refused(status) => Err(super::wrong_status(
            id,
            status,
            "only a draft or cancelled campaign can be deleted",
        )),
    }
}
