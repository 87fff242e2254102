//! Opening a request: store it, then (unless it waits for the caller's confirmation) enqueue its job.

use actix_web::HttpResponse;
use shared::db::run_blocking;
use shared::jobs::payloads::rgpd::{Erase, Export};
use shared::jobs::{Job, catalogue};
use shared::models::rgpd_request::{
    self as requests, NewRgpdRequest, RequestKind, RequestState, RgpdRequest, SubjectType,
};

use super::subject::{RequestAccepted, RequestView};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::routes::jobs::create::{RunNow, Via, run_now};
use crate::state::AppState;

/// What to open.
pub(crate) struct Opening {
    pub kind: RequestKind,
    pub subject_type: SubjectType,
    pub subject_id: i64,
    pub reason: Option<String>,
    /// A user's erasure of their own account waits for their password.
    pub needs_confirmation: bool,
}

/// Stores the request (or finds the open one about the same subject) and enqueues its job; 202 with the
/// request and `Location: /api/v1/rgpd/requests/{id}`.
pub(crate) async fn open(
    state: &AppState,
    user: &AuthUser,
    request_id: &RequestId,
    o: Opening,
) -> Result<HttpResponse, ApiError> {
    let caller = user.id;
    let new = NewRgpdRequest {
        kind: o.kind,
        subject_type: o.subject_type,
        subject_id: o.subject_id,
        requested_by: Some(caller),
        state: if o.needs_confirmation {
            RequestState::AwaitingConfirmation
        } else {
            RequestState::Queued
        },
        reason: o.reason,
        confirmed_at: None,
    };
    let (request, duplicate) = run_blocking(&state.pool, move |c| {
        c.build_transaction().run(|c| {
            if let Some(open) = requests::find_open(c, new.kind, new.subject_type, new.subject_id)?
            {
                return Ok((open, true));
            }
            Ok((requests::create(c, &new)?, false))
        })
    })
    .await?;
    let request = if duplicate || o.needs_confirmation {
        request
    } else {
        enqueue(state, user, request_id, request).await?
    };
    tracing::info!(rgpd.request = %request.id, kind = %request.kind, duplicate, "RGPD request opened");
    Ok(HttpResponse::Accepted()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/rgpd/requests/{}", request.id),
        ))
        .json(RequestAccepted {
            request: RequestView::of(state, &request, caller),
            duplicate,
        }))
}

/// Enqueues the job of a stored request (`rgpd.export` or `rgpd.erase`) and records it; the request as
/// it now is. A request whose job cannot be enqueued is marked failed.
pub(crate) async fn enqueue(
    state: &AppState,
    user: &AuthUser,
    request_id: &RequestId,
    request: RgpdRequest,
) -> Result<RgpdRequest, ApiError> {
    let name = match request.kind {
        RequestKind::Export => Export::NAME,
        RequestKind::Erasure => Erase::NAME,
    };
    let spec = catalogue::find(name)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("{name} is not in the catalogue")))?;
    let run = RunNow {
        spec,
        payload: serde_json::json!({ "request_id": request.id }),
        run_at: None,
        idempotency_key: None,
    };
    let id = request.id;
    let enqueued = match run_now(state, user.principal(), request_id, run, Via::Api).await {
        Ok(e) => e,
        Err(e) => {
            let _ = run_blocking(&state.pool, move |c| {
                requests::fail(c, id, "could not be queued")
            })
            .await;
            return Err(e);
        }
    };
    let job_id = enqueued.job_id.to_string();
    run_blocking(&state.pool, move |c| {
        requests::mark_queued(c, id, &job_id)?;
        requests::find(c, id)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("RGPD request {id} not found")))
}
