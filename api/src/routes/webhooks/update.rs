use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, EndpointChanges, EndpointView, WebhookEndpointId};

use super::{check_description, check_event_types, check_url};
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// The fields to change; absent ones stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    /// `true` turns an endpoint the platform disabled back on (its failure history is cleared).
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes a webhook endpoint (admins); audited.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id")),
    request_body = EndpointPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The endpoint as changed", body = EndpointView),
        (status = 400, description = "A field is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such endpoint", body = crate::error::ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
    body: JsonBody<EndpointPatch>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = WebhookEndpointId(id.into_inner());
    let patch = body.into_inner();
    let changes = EndpointChanges {
        event_types: patch
            .event_types
            .as_deref()
            .map(check_event_types)
            .transpose()?,
        description: patch
            .description
            .as_deref()
            .map(check_description)
            .transpose()?,
        url: match &patch.url {
            Some(u) => Some(check_url(&state, u).await?),
            None => None,
        },
        active: patch.active,
    };
    let updated = run_blocking(&state.pool, move |c| wh::update(c, id, &changes))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("webhook endpoint {id} not found")))?;
    let view = EndpointView::from(updated);
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "webhook.update",
            target_type: "webhook_endpoint",
            target_id: id.to_string(),
            details: serde_json::json!({
                "url_changed": patch.url.is_some(),
                "event_types": view.event_types,
                "active": view.active,
            }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Ok().json(view))
}
