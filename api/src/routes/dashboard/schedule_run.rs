use actix_web::{HttpResponse, web};
use redis::AsyncCommands;
use serde::Serialize;
use shared::jobs::catalogue;

use super::{audit_action, require_runner};
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

#[derive(Serialize)]
pub struct RunScheduleResponse {
    pub schedule: String,
    pub job_id: String,
}

pub(crate) fn unknown_schedule(name: &str) -> ApiError {
    ApiError::NotFound {
        code: "unknown_schedule",
        message: format!(
            "unknown schedule `{}`",
            name.chars().take(100).collect::<String>()
        ),
    }
}

/// `POST /api/v1/dashboard/schedules/{name}/run`: fires the entry now (also when disabled). Needs the
/// role that may run the entry's job.
pub async fn run(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let entry = state
        .schedules
        .get(&name)
        .ok_or_else(|| unknown_schedule(&name))?;
    if let Some(spec) = catalogue::find(&entry.job) {
        require_runner(&user, spec)?;
    }
    let result = crm_schedules::fire(&state.queue, entry, None).await;
    let json = serde_json::to_string(&result)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("encoding a tick result")))?;
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
    audit_action(
        &state,
        &user,
        &request_id,
        "schedule.run_now",
        "schedule",
        entry.name.clone(),
        serde_json::json!({ "job": entry.job, "job_id": job_id }),
    )
    .await;
    Ok(HttpResponse::Accepted().json(RunScheduleResponse {
        schedule: entry.name.clone(),
        job_id,
    }))
}
