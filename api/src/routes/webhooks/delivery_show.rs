use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, WebhookAttempt, WebhookDelivery, WebhookDeliveryId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A delivery with its log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryWithLog {
    pub delivery: WebhookDelivery,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

/// One delivery and every attempt at it (admins).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/deliveries/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Delivery id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The delivery and its log", body = DeliveryWithLog),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such delivery", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = WebhookDeliveryId(id.into_inner());
    let found = run_blocking(&state.pool, move |c| {
        let Some(delivery) = wh::find_delivery(c, id)? else {
            return Ok(None);
        };
        Ok(Some(DeliveryWithLog {
            attempts: wh::attempts_of(c, id)?,
            delivery,
        }))
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("webhook delivery {id} not found")))?;
    Ok(HttpResponse::Ok().json(found))
}
