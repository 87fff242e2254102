use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::audit_action;
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::routes::schedules::find_entry;
use crate::state::AppState;

#[derive(Serialize)]
pub struct ToggleResponse {
    pub schedule: String,
    pub enabled: bool,
}

async fn set(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    name: web::Path<String>,
    enabled: bool,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let entry = find_entry(&state, &name)?;
    crm_schedules::set_enabled(&state.queue, &entry.name, enabled).await?;
    let action = if enabled {
        "schedule.enable"
    } else {
        "schedule.disable"
    };
    tracing::info!(schedule = %entry.name, enabled, "dashboard schedule toggled");
    audit_action(
        &state,
        &user,
        &request_id,
        action,
        "schedule",
        entry.name.clone(),
        serde_json::json!({ "enabled": enabled }),
    )
    .await;
    Ok(HttpResponse::Ok().json(ToggleResponse {
        schedule: entry.name.clone(),
        enabled,
    }))
}

/// `POST /api/v1/dashboard/schedules/{name}/enable`: persisted in Redis, applied by every scheduler
/// replica at its next pass (no restart).
pub async fn enable(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set(state, user, request_id, name, true).await
}

/// `POST /api/v1/dashboard/schedules/{name}/disable`.
pub async fn disable(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set(state, user, request_id, name, false).await
}
