use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, NewDelivery, WebhookDeliveryId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// A delivery handed to a job.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryQueued {
    #[schema(value_type = i64)]
    pub delivery_id: WebhookDeliveryId,
    pub job_id: String,
}

/// Sends a `webhook.test` message to the endpoint now (admins), signed like any other, through the same
/// job and the same log; disabled endpoints too, so a fix can be checked before turning it back on.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/test",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; follow the delivery at /api/v1/webhooks/deliveries/{delivery_id}", body = DeliveryQueued),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such endpoint", body = crate::error::ErrorBody),
    )
)]
pub async fn test(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let endpoint = super::endpoint(&state, id.into_inner()).await?;
    let new = NewDelivery {
        endpoint_id: endpoint.id,
        event_id: None,
        message_id: crm_webhooks::message::new_message_id(),
        event_type: "webhook.test".to_owned(),
        payload: crm_webhooks::message::body(
            "webhook.test",
            None,
            Utc::now(),
            &serde_json::json!({ "endpoint_id": endpoint.id, "test": true }),
        ),
        next_attempt_at: Some(Utc::now()),
    };
    let created = run_blocking(&state.pool, move |c| wh::insert_deliveries(c, &[new]))
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the test delivery was not stored")))?;
    // A disabled endpoint's deliveries are skipped by the job: a test is an admin's explicit replay.
    let enqueued =
        super::enqueue_attempt(&state, &user, &request_id, &endpoint, created.id, Some(0)).await?;
    Ok(HttpResponse::Accepted().json(DeliveryQueued {
        delivery_id: created.id,
        job_id: enqueued.job_id.to_string(),
    }))
}
