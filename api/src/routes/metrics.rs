use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use redis::AsyncCommands;
use shared::jobs::Queue;

use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::health::CHECK_TIMEOUT;
use crate::state::AppState;
use crate::telemetry::metrics_handle;

/// Prometheus text exposition. Queue gauges are refreshed from Redis on each scrape (best effort: a Redis
/// outage leaves the previous values and the HTTP metrics are still served).
pub async fn render(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let handle = metrics_handle().ok_or_else(|| {
        ApiError::Unavailable(anyhow::anyhow!("the metrics recorder is not installed"))
    })?;
    if tokio::time::timeout(CHECK_TIMEOUT, refresh_queue_gauges(&state))
        .await
        .is_err()
    {
        tracing::warn!("queue gauges not refreshed: redis timed out");
    }
    handle.run_upkeep();
    Ok(HttpResponse::Ok()
        .content_type(ContentType(
            "text/plain; version=0.0.4; charset=utf-8"
                .parse()
                .map_err(|_| ApiError::Internal(anyhow::anyhow!("bad content type")))?,
        ))
        .body(handle.render()))
}

/// `/metrics` on the main bind (when `API_METRICS_BIND` is unset): admins only, with a bearer token.
pub async fn render_for_admin(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    render(state).await
}

async fn refresh_queue_gauges(state: &AppState) {
    match state.queue.depths(&Queue::ALL).await {
        Ok(depths) => {
            for d in depths {
                metrics::gauge!("queue_depth", "queue" => d.queue.as_str()).set(d.waiting as f64);
                metrics::gauge!("queue_oldest_job_age_seconds", "queue" => d.queue.as_str())
                    .set(d.oldest_waiting_secs);
            }
        }
        Err(e) => tracing::warn!(error = %e, "queue depths unavailable"),
    }
    if let Ok(n) = state.queue.delayed_count().await {
        metrics::gauge!("queue_delayed").set(n as f64);
    }
    if let Ok(buckets) = state.queue.buckets().await {
        crm_queue::buckets::record_gauges(&buckets);
    }
    let mut conn = state.redis();
    if let Ok(n) = conn.zcard::<_, u64>(state.keys().dead()).await {
        metrics::gauge!("queue_dead").set(n as f64);
    }
}
