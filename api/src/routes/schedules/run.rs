use actix_web::{HttpResponse, web};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use shared::models::user::Role;

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
    let entry = state
        .schedules
        .get(&name)
        .ok_or_else(|| ApiError::NotFound {
            code: "unknown_schedule",
            message: format!(
                "unknown schedule `{}`",
                name.chars().take(100).collect::<String>()
            ),
        })?;
    let result = crm_schedules::fire(&state.queue, entry, None).await;
    let (job_id, error) = (result.job_id.clone(), result.error.clone());

    let mut conn = state.redis();
    let json = serde_json::to_string(&result)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("encoding a tick result")))?;
    let stored: Result<(), redis::RedisError> = conn
        .hset(state.keys().scheduler_result(), &entry.name, json)
        .await;
    if let Err(e) = stored {
        tracing::warn!(schedule = %entry.name, error = %e, "could not store the manual tick result");
    }

    let job_id = match (job_id, error) {
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
        &state,
        audit::Entry {
            actor: user.id,
            action: "schedule.run_now",
            target_type: "schedule",
            target_id: entry.name.clone(),
            details: serde_json::json!({ "job": entry.job, "job_id": job_id }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Accepted().json(RunScheduleResponse {
        schedule: entry.name.clone(),
        job_id,
        duplicate: result.duplicate,
    }))
}
