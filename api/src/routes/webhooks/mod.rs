//! Webhook endpoints (admins): CRUD, secret rotation, a test delivery, the delivery log with replay, the
//! event types, and the full body of an event too large to send. Signing and delivery are
//! `crm-webhooks`'; events come from the `events` outbox (`crm-events`).

pub mod create;
pub mod delete;
pub mod deliveries;
pub mod delivery_show;
pub mod event_show;
pub mod event_types;
pub mod list;
pub mod replay;
pub mod rotate;
pub mod show;
pub mod test;
pub mod update;

use actix_web::web;
use shared::db::run_blocking;
use shared::jobs::catalogue;
use shared::jobs::payloads::webhooks::Deliver;
use shared::models::webhook::{self as wh, WebhookDeliveryId, WebhookEndpoint, WebhookEndpointId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::routes::jobs::create::{RunNow, Via, run_now};
use crate::state::AppState;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks", web::get().to(list::list))
        .route("/webhooks", web::post().to(create::create))
        .route(
            "/webhooks/event-types",
            web::get().to(event_types::event_types),
        )
        .route("/webhooks/events/{id}", web::get().to(event_show::show))
        .route(
            "/webhooks/deliveries/{id}",
            web::get().to(delivery_show::show),
        )
        .route(
            "/webhooks/deliveries/{id}/replay",
            web::post().to(replay::replay),
        )
        .route("/webhooks/{id}", web::get().to(show::show))
        .route("/webhooks/{id}", web::patch().to(update::update))
        .route("/webhooks/{id}", web::delete().to(delete::delete))
        .route(
            "/webhooks/{id}/rotate-secret",
            web::post().to(rotate::rotate),
        )
        .route("/webhooks/{id}/test", web::post().to(test::test))
        .route("/webhooks/{id}/deliveries", web::get().to(deliveries::list));
}

/// Checks an endpoint URL: `http(s)`, at most 2,000 characters, no credentials in it, and a host the
/// egress policy allows (a name resolving only to private, loopback or metadata addresses is refused
/// unless `EGRESS_ALLOW_CIDRS` lets it; each delivery checks again after its own lookup).
pub(crate) async fn check_url(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let bad = |m: &str| ApiError::invalid_field("url", m.to_owned());
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 2_000 {
        return Err(bad("url must have 1 to 2,000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|_| bad("url is not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "url must not hold credentials; the signature authenticates us",
        ));
    }
    let policy = &state.config.common.egress;
    policy
        .check_url(&url)
        .map_err(|e| bad(&format!("url: {e}")))?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    match policy.resolve(host, port).await {
        Err(e) if e.is_refusal() => Err(bad(&format!("url: {e}"))),
        // Not resolvable yet (DNS set up later) is allowed: deliveries fail and retry meanwhile.
        _ => Ok(url.to_string()),
    }
}

/// Checks a list of event types: 1 to 50 names, each subscribable.
pub(crate) fn check_event_types(types: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = types.iter().map(|t| t.trim().to_owned()).collect();
    out.sort();
    out.dedup();
    if out.is_empty() || out.len() > 50 {
        return Err(ApiError::invalid_field(
            "event_types",
            "event_types must list 1 to 50 event types",
        ));
    }
    if let Some(bad) = out
        .iter()
        .find(|t| !shared::events::find(t).is_some_and(|e| e.subscribable))
    {
        let known: Vec<&str> = shared::events::subscribable().collect();
        return Err(ApiError::invalid_field(
            "event_types",
            format!(
                "`{}` is not an event type (known: {})",
                bad.chars().take(100).collect::<String>(),
                known.join(", ")
            ),
        ));
    }
    Ok(out)
}

/// Checks a description: at most 500 characters, no control characters.
pub(crate) fn check_description(d: &str) -> Result<String, ApiError> {
    if d.chars().count() > 500 || d.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "description",
            "description: at most 500 characters, no control characters",
        ));
    }
    Ok(d.trim().to_owned())
}

/// The endpoint `id`, or 404.
pub(crate) async fn endpoint(state: &AppState, id: i64) -> Result<WebhookEndpoint, ApiError> {
    let id = WebhookEndpointId(id);
    run_blocking(&state.pool, move |c| wh::find(c, id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("webhook endpoint {id} not found")))
}

/// The secret box sealing endpoint secrets, or 503 naming the missing setting.
pub(crate) fn secrets(state: &AppState) -> Result<&shared::crypto::SecretBox, ApiError> {
    state.mail.secrets.as_ref().ok_or_else(|| {
        ApiError::Unavailable(anyhow::anyhow!(
            "MAIL_ENCRYPTION_KEY is not set: webhook secrets cannot be stored"
        ))
    })
}

/// Enqueues one attempt of delivery `id` to `endpoint` for `user` (run-now rules and audit apply).
pub(crate) async fn enqueue_attempt(
    state: &AppState,
    user: &AuthUser,
    request_id: &RequestId,
    endpoint: &WebhookEndpoint,
    id: WebhookDeliveryId,
    replay: Option<u32>,
) -> Result<crm_queue::Enqueued, ApiError> {
    use shared::jobs::Job;
    let spec = catalogue::find(Deliver::NAME).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("webhooks.deliver is not in the catalogue"))
    })?;
    let job = Deliver {
        delivery_id: id,
        host: crm_webhooks::sweep::host_of(&endpoint.url),
        replay,
    };
    let run = RunNow {
        spec,
        payload: serde_json::to_value(&job).map_err(|e| ApiError::Internal(e.into()))?,
        run_at: None,
        idempotency_key: job.idempotency_key(),
    };
    let enqueued = run_now(state, user.principal(), request_id, run, Via::Api).await?;
    let job_id = enqueued.job_id.to_string();
    run_blocking(&state.pool, move |c| wh::set_delivery_job(c, id, &job_id)).await?;
    Ok(enqueued)
}
