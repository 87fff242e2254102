use std::time::Duration;

use actix_web::{HttpResponse, web};
use crm_queue::{JobId, JobState};
use serde::Deserialize;
use shared::permissions::Principal;
use tokio::sync::broadcast::error::RecvError;

use super::parse_job_id;
use super::visibility::sees;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::live::{Live, frame, keep_alive};
use crate::sse::{Frames, respond};
use crate::state::AppState;

/// How often the record is read for state changes (progress comes through pub/sub at once).
const STATE_EVERY: Duration = Duration::from_secs(1);
/// A comment is sent when nothing else was for this long.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
struct ProgressHead {
    job_id: String,
}

fn finished(state: JobState) -> bool {
    matches!(
        state,
        JobState::Succeeded | JobState::Dead | JobState::Cancelled
    )
}

/// Sends the record as a `state` frame; its state, or `None` when the client is gone or the record too.
async fn send_state(state: &AppState, id: &JobId, tx: &Frames) -> Option<JobState> {
    let record = state.queue.get(id).await.ok().flatten()?;
    let json = serde_json::to_string(&record).unwrap_or_default();
    tx.send(frame(None, "state", &json)).await.ok()?;
    Some(record.state)
}

/// Streams job `id` (the caller checked who may see it): its record, then progress and state changes.
async fn pump(state: AppState, id: JobId, tx: Frames) {
    let mut live = state.live.job_events();
    let Some(mut current) = send_state(&state, &id, &tx).await else {
        return;
    };
    let wanted = id.to_string();
    let mut poll = tokio::time::interval(STATE_EVERY);
    let mut quiet = tokio::time::Instant::now();
    while !finished(current) {
        let ok = tokio::select! {
            _ = poll.tick() => {
                // A state frame only when it changed; a keep-alive when nothing was sent for a while.
                match state.queue.get(&id).await {
                    Ok(Some(r)) if r.state != current => {
                        quiet = tokio::time::Instant::now();
                        match send_state(&state, &id, &tx).await {
                            Some(s) => { current = s; true }
                            None => false,
                        }
                    }
                    Ok(None) => false,
                    _ if quiet.elapsed() >= KEEP_ALIVE => {
                        quiet = tokio::time::Instant::now();
                        tx.send(keep_alive()).await.is_ok()
                    }
                    _ => true,
                }
            }
            msg = live.recv() => match msg {
                Ok(Live::Message(json)) => match serde_json::from_str::<ProgressHead>(&json) {
                    Ok(h) if h.job_id == wanted => {
                        quiet = tokio::time::Instant::now();
                        tx.send(frame(None, "progress", &json)).await.is_ok()
                    }
                    _ => true,
                },
                // Notifications never reach job streams.
                Ok(Live::Notification(..)) => true,
                // Progress is a level, not a log: the next state frame carries the latest.
                Ok(Live::Resync) | Err(RecvError::Lagged(_)) => match send_state(&state, &id, &tx).await {
                    Some(s) => { current = s; true }
                    None => false,
                },
                Err(RecvError::Closed) => false,
            },
        };
        if !ok {
            return;
        }
    }
}

/// A job's progress and state changes as they happen (Server-Sent Events), for whoever may see the job
/// (`GET /api/v1/jobs/{id}`'s rule). Frames: `state` (the job's record) first and at each change of
/// state, `progress` (`{job_id, progress_pct, progress_msg, progress_at}`) as the job reports it. The
/// stream ends after the state frame of a finished job (succeeded, dead, cancelled).
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}/events",
    tag = "jobs",
    params(("id" = String, Path, description = "Job id (ULID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A stream of frames (text/event-stream)", content_type = "text/event-stream", body = crate::sse::SseFrame),
        (status = 400, description = "Malformed id", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown (or expired) job, or a job the caller may not see", body = crate::error::ErrorBody),
    )
)]
pub async fn events(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    stream_for(&state, &user.principal(), &id).await
}

/// The stream of job `raw_id` for `who`, if they may see the job (404 otherwise, as for the job itself):
/// the body of this route and of the dashboard's.
pub(crate) async fn stream_for(
    state: &AppState,
    who: &Principal,
    raw_id: &str,
) -> Result<HttpResponse, ApiError> {
    let id = parse_job_id(raw_id)?;
    let not_found = || ApiError::not_found(format!("job {id} not found"));
    let record = state.queue.get(&id).await?.ok_or_else(not_found)?;
    if !sees(state, who, record.actor).await? {
        return Err(not_found());
    }
    let state = state.clone();
    Ok(respond(move |tx| pump(state, id, tx)))
}
