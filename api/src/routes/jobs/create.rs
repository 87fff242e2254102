use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_queue::{EnqueueOptions, Enqueued};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::jobs::{JobSpec, catalogue};
use shared::permissions::{Actor, Principal, may_run};

use super::visibility::refusal_error;
use super::{enqueue_error, unknown_job};
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Starts a job now (or at `run_at`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunJobRequest {
    /// Catalogue name, e.g. `maint.backup`.
    #[schema(example = "maint.backup")]
    pub job: String,
    /// The job's payload, checked against its type (unknown fields refused). Defaults to `{}`.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Run no earlier than this (RFC 3339); absent or past means now; at most 366 days ahead.
    #[serde(default)]
    pub run_at: Option<DateTime<Utc>>,
    /// A second request with the same key returns the first job instead of enqueuing again (1 to 200 bytes).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// The payload of a run-now request that gives none.
pub(crate) fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunJobResponse {
    pub job_id: String,
    /// True when the idempotency key matched an earlier job, whose id is returned.
    pub duplicate: bool,
}

/// Enqueues a catalogue job, subject to the job's role and to the caller's right to change the resource
/// the payload touches (the same rule, and the same answer, as the resource's own endpoint: 404 for another
/// user's mailbox or email, 403 for one the caller may only read).
#[utoipa::path(
    post,
    path = "/api/v1/jobs",
    tag = "jobs",
    request_body = RunJobRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Enqueued (or matched an earlier job by idempotency key)", body = RunJobResponse),
        (status = 400, description = "Invalid request or payload (a field out of range, `run_at` too far ahead); `field` names the offending field", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "The caller's role is below the job's, or the caller may only read the payload's resource", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown job (`unknown_job`), or a payload resource the caller may not see (`not_found`)", body = crate::error::ErrorBody),
        (status = 413, description = "Body too large", body = crate::error::ErrorBody),
        (status = 429, description = "Rate limited", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<RunJobRequest>,
) -> Result<HttpResponse, ApiError> {
    let RunJobRequest {
        job,
        payload,
        run_at,
        idempotency_key,
    } = body.into_inner();
    let spec = catalogue::find(&job).ok_or_else(|| unknown_job(&job))?;
    user.require(spec.run_role)?;

    let run = RunNow {
        spec,
        payload,
        run_at,
        idempotency_key,
    };
    let enqueued = run_now(&state, user.principal(), &request_id, run, Via::Api).await?;
    tracing::info!(job.name = spec.name, job.id = %enqueued.job_id, duplicate = enqueued.duplicate, "job run now");

    Ok(accepted(&enqueued))
}

/// Runs catalogue job `name` now for `user` with `payload`: the job's role, payload and resource are
/// checked as `POST /api/v1/jobs` checks them (the shared body of the dedicated run-now endpoints).
pub(crate) async fn run_named(
    state: &AppState,
    user: &AuthUser,
    request_id: &RequestId,
    name: &str,
    payload: serde_json::Value,
) -> Result<HttpResponse, ApiError> {
    let spec = catalogue::find(name).ok_or_else(|| unknown_job(name))?;
    user.require(spec.run_role)?;
    let run = RunNow {
        spec,
        payload,
        run_at: None,
        idempotency_key: None,
    };
    let enqueued = run_now(state, user.principal(), request_id, run, Via::Api).await?;
    Ok(accepted(&enqueued))
}

/// The answer to an enqueue through the API: 202, the job's URL in `Location`, its id in the body.
pub(crate) fn accepted(enqueued: &Enqueued) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/jobs/{}", enqueued.job_id),
        ))
        .json(RunJobResponse {
            job_id: enqueued.job_id.to_string(),
            duplicate: enqueued.duplicate,
        })
}

/// A run-now request whose job the caller has found and may run.
pub(crate) struct RunNow {
    pub spec: &'static JobSpec,
    pub payload: serde_json::Value,
    pub run_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

/// The route a run-now came through; each writes its own audit details, kept as they always were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Api,
    Dashboard,
}

/// Validates the payload, checks that `actor` may run the job on the resource it touches
/// (`permissions::may_run`, the rule the worker checks again when the job runs), enqueues the job for
/// `actor` and writes the `job.run_now` audit entry: the shared body of `POST /api/v1/jobs` and
/// `POST /api/v1/dashboard/run`.
pub(crate) async fn run_now(
    state: &AppState,
    actor: Principal,
    request_id: &RequestId,
    run: RunNow,
    via: Via,
) -> Result<Enqueued, ApiError> {
    let RunNow {
        spec,
        payload,
        run_at,
        idempotency_key,
    } = run;
    let resource = spec
        .check(&payload)
        .map_err(|e| enqueue_error(spec.name, e.into()))?;
    let run_role = spec.run_role;
    run_blocking(&state.pool, move |conn| {
        may_run(conn, &actor, run_role, resource)
    })
    .await?
    .map_err(refusal_error)?;
    let opts = EnqueueOptions {
        run_at,
        idempotency_key,
        request_id: Some(request_id.0.clone()),
        actor: Actor::User(actor.id),
    };
    let enqueued = state
        .queue
        .enqueue_validated(spec, payload, resource, opts)
        .await
        .map_err(|e| enqueue_error(spec.name, e))?;

    let job_id = enqueued.job_id.to_string();
    let details = match via {
        Via::Api => serde_json::json!({
            "job": spec.name,
            "job_id": job_id,
            "duplicate": enqueued.duplicate,
            "run_at": run_at,
        }),
        Via::Dashboard => serde_json::json!({
            "job": spec.name,
            "job_id": job_id,
            "run_at": run_at,
            "via": "dashboard",
        }),
    };
    audit::record(
        state,
        audit::Entry {
            actor: actor.id,
            action: "job.run_now",
            target_type: "job",
            target_id: job_id,
            details,
            request_id,
        },
    )
    .await;
    Ok(enqueued)
}
