use actix_web::{HttpResponse, web};
use chrono::Utc;
use crm_webhooks::sign::SigningKey;
use secrecy::SecretString;
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, EndpointView, WebhookEndpointId};

use super::create::EndpointWithSecret;
use super::secrets;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Replaces an endpoint's secret (admins); audited. For `WEBHOOK_SECRET_OVERLAP_HOURS` (24) messages
/// carry two signatures, by the new secret and the old one, so the receiver can switch without a gap.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new secret, shown this once; `previous_secret_until` says how long the old one still signs", body = EndpointWithSecret),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such endpoint", body = crate::error::ErrorBody),
        (status = 503, description = "MAIL_ENCRYPTION_KEY is not set", body = crate::error::ErrorBody),
    )
)]
pub async fn rotate(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = WebhookEndpointId(id.into_inner());
    let secret = SigningKey::generate();
    let sealed = secrets(&state)?.encrypt_str(&SecretString::from(secret.clone()));
    let overlap =
        chrono::Duration::from_std(state.config.common.webhooks.secret_overlap).unwrap_or_default();
    let until = Utc::now() + overlap;
    let rotated = run_blocking(&state.pool, move |c| {
        wh::rotate_secret(c, id, &sealed, until)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("webhook endpoint {id} not found")))?;
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "webhook.rotate_secret",
            target_type: "webhook_endpoint",
            target_id: id.to_string(),
            details: serde_json::json!({ "previous_secret_until": until }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Ok().json(EndpointWithSecret {
        endpoint: EndpointView::from(rotated),
        secret,
    }))
}
