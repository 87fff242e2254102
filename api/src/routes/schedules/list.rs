use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_schedules::TickResult;
use serde::Serialize;

use super::state::entry_states;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A schedule entry with its fire times.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub name: String,
    /// Cron expression (5 fields, or 6 with seconds first), in `timezone`.
    pub expression: String,
    pub job: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub enabled: bool,
    /// Time zone of the expression, e.g. `Europe/Paris`.
    pub timezone: String,
    /// Next fire time in UTC; absent when disabled.
    pub next_fire_at: Option<DateTime<Utc>>,
    /// The same instant in `timezone` (RFC 3339 with offset).
    pub next_fire_local: Option<String>,
    /// When the entry last enqueued its job, on schedule or run by hand (UTC); absent before the first
    /// fire and after a failed one (see `last_result`).
    pub last_fired_at: Option<DateTime<Utc>>,
    /// The result of the last fire, scheduled or manual.
    pub last_result: Option<TickResult>,
}

/// The cron table with next and last fire times.
#[utoipa::path(
    get,
    path = "/api/v1/schedules",
    tag = "schedules",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every entry", body = Vec<ScheduleView>),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, _user: AuthUser) -> Result<HttpResponse, ApiError> {
    let tz = state.schedules.timezone;
    let views: Vec<ScheduleView> = entry_states(&state)
        .await?
        .into_iter()
        .map(|s| ScheduleView {
            name: s.entry.name.clone(),
            expression: s.entry.expression.clone(),
            job: s.entry.job.clone(),
            payload: s.entry.payload.clone(),
            enabled: s.enabled,
            timezone: tz.name().to_owned(),
            next_fire_at: s.next_fire_at,
            next_fire_local: s.next_fire_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
            last_fired_at: s.last_fired_at,
            last_result: s.last_result,
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
