use actix_web::{HttpResponse, web};
use crm_schedules::Entry;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use shared::models::UserId;
use shared::models::user::Role;

use super::find_entry;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunScheduleResponse {
    pub schedule: String,
    pub job_id: String,
    pub duplicate: bool,
}

/// Fires a schedule entry now, outside its cron times (admin). Works for disabled entries too.
#[utoipa::path(
    post,
    path = "/api/v1/schedules/{name}/run",
    tag = "schedules",
    params(("name" = String, Path, description = "Entry name, e.g. `maint.backup`")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The entry's job was enqueued", body = RunScheduleResponse),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown entry (`unknown_schedule`)", body = crate::error::ErrorBody),
    )
)]
pub async fn run(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let entry = find_entry(&state, &name)?;
    let fired = fire_now(&state, entry, user.id, &request_id).await?;
    Ok(HttpResponse::Accepted().json(RunScheduleResponse {
        schedule: entry.name.clone(),
        job_id: fired.job_id,
        duplicate: fired.duplicate,
    }))
}

/// What a manual fire enqueued.
pub(crate) struct Fired {
    pub job_id: String,
    /// True when the job was already enqueued (an idempotency match).
    pub duplicate: bool,
}

/// Fires `entry` now for `actor` (who was allowed to): the shared body of the API and dashboard run-now.
/// Stores the result beside the scheduled ones and writes the `schedule.run_now` audit entry.
pub(crate) async fn fire_now(
    state: &AppState,
    entry: &Entry,
    actor: UserId,
    request_id: &RequestId,
) -> Result<Fired, ApiError> {
    let result = crm_schedules::fire(&state.queue, entry, None).await;
    let json = serde_json::to_string(&result)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("encoding a tick result")))?;
    // The listings read their last fire and last result from this hash, so a manual fire shows there too.
    // Storing it is best effort: the fire has happened either way.
    let stored: Result<(), redis::RedisError> = state
        .redis()
        .hset(state.keys().scheduler_result(), &entry.name, json)
        .await;
    if let Err(e) = stored {
        tracing::warn!(schedule = %entry.name, error = %e, "could not store the manual tick result");
    }

    let job_id = match (result.job_id, result.error) {
        (Some(id), None) => id,
        (_, error) => {
            return Err(ApiError::Unavailable(anyhow::anyhow!(
                "firing schedule `{}`: {}",
                entry.name,
                error.unwrap_or_else(|| "no job id returned".into())
            )));
        }
    };
    audit::record(
        state,
        audit::Entry {
            actor,
            action: "schedule.run_now",
            target_type: "schedule",
            target_id: entry.name.clone(),
            details: serde_json::json!({ "job": entry.job, "job_id": job_id }),
            request_id,
        },
    )
    .await;
    Ok(Fired {
        job_id,
        duplicate: result.duplicate,
    })
}
