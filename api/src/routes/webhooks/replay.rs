use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, WebhookDeliveryId};

use super::test::DeliveryQueued;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Sends a delivery again, once, now (admins): same `webhook-id` and body, a fresh timestamp and
/// signature. The attempt goes to the delivery's log marked `manual`. Asking twice before the first replay
/// ran queues one attempt.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/deliveries/{id}/replay",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Delivery id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued", body = DeliveryQueued),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such delivery", body = crate::error::ErrorBody),
        (status = 409, description = "The endpoint is disabled: turn it back on first", body = crate::error::ErrorBody),
    )
)]
pub async fn replay(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = WebhookDeliveryId(id.into_inner());
    let delivery = run_blocking(&state.pool, move |c| wh::find_delivery(c, id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("webhook delivery {id} not found")))?;
    let endpoint = super::endpoint(&state, delivery.endpoint_id.0).await?;
    if !endpoint.active {
        return Err(ApiError::Conflict {
            code: "endpoint_disabled",
            message: format!("webhook endpoint {} is disabled", endpoint.id),
        });
    }
    run_blocking(&state.pool, move |c| wh::reopen(c, id)).await?;
    let replay = u32::try_from(delivery.attempts).unwrap_or(0);
    let enqueued =
        super::enqueue_attempt(&state, &user, &request_id, &endpoint, id, Some(replay)).await?;
    Ok(HttpResponse::Accepted().json(DeliveryQueued {
        delivery_id: id,
        job_id: enqueued.job_id.to_string(),
    }))
}
