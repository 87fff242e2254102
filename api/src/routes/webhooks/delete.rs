use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, WebhookEndpointId};

use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Deletes a webhook endpoint with its deliveries and their log (admins); audited. Jobs already queued
/// for it find nothing and end.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such endpoint", body = crate::error::ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = WebhookEndpointId(id.into_inner());
    if !run_blocking(&state.pool, move |c| wh::delete(c, id)).await? {
        return Err(ApiError::not_found(format!(
            "webhook endpoint {id} not found"
        )));
    }
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "webhook.delete",
            target_type: "webhook_endpoint",
            target_id: id.to_string(),
            details: serde_json::json!({}),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
