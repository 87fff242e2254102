use actix_web::{HttpResponse, web};
use crm_webhooks::sign::SigningKey;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, EndpointView, NewWebhookEndpoint};

use super::{check_description, check_event_types, check_url, secrets};
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// A new endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    /// `https://…` (or `http://`), at most 2,000 characters; private addresses need `EGRESS_ALLOW_CIDRS`.
    pub url: String,
    /// 1 to 50 of `GET /api/v1/webhooks/event-types`' subscribable names.
    pub event_types: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    /// A secret of your own (`whsec_` + base64 of 24 to 64 bytes); one is generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// An endpoint with its secret: only the creation and a rotation show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointWithSecret {
    pub endpoint: EndpointView,
    /// `whsec_…`: verify `webhook-signature` with it (any Standard Webhooks library does).
    pub secret: String,
}

/// Creates a webhook endpoint (admins); audited (never the secret).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    request_body = EndpointInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; the secret is shown this once", body = EndpointWithSecret),
        (status = 400, description = "A field is invalid (`field` names it): URL refused by the egress policy, unknown event type…", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 503, description = "MAIL_ENCRYPTION_KEY is not set", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<EndpointInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let input = body.into_inner();
    let event_types = check_event_types(&input.event_types)?;
    let description = check_description(input.description.as_deref().unwrap_or(""))?;
    let secret = match input.secret {
        Some(s) => {
            SigningKey::parse(s.trim())
                .map_err(|e| ApiError::invalid_field("secret", e.to_string()))?;
            s.trim().to_owned()
        }
        None => SigningKey::generate(),
    };
    let url = check_url(&state, &input.url).await?;
    let sealed = secrets(&state)?.encrypt_str(&SecretString::from(secret.clone()));
    let new = NewWebhookEndpoint {
        url,
        description,
        event_types,
        secret_enc: sealed,
        active: input.active.unwrap_or(true),
        created_by: Some(user.id),
    };
    let created = run_blocking(&state.pool, move |c| wh::create(c, &new)).await?;
    let view = EndpointView::from(created);
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "webhook.create",
            target_type: "webhook_endpoint",
            target_id: view.id.to_string(),
            details: serde_json::json!({ "event_types": view.event_types, "active": view.active }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/webhooks/{}", view.id),
        ))
        .json(EndpointWithSecret {
            endpoint: view,
            secret,
        }))
}
