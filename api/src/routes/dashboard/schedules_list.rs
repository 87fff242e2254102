use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_schedules::TickResult;
use serde::Serialize;

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::routes::schedules::state::entry_states;
use crate::state::AppState;

/// A schedule entry as the schedules view shows it.
#[derive(Serialize)]
pub struct ScheduleRow {
    pub name: String,
    pub expression: String,
    /// The expression in words, e.g. `every day at 02:00`.
    pub description: String,
    pub job: String,
    pub payload: serde_json::Value,
    pub enabled: bool,
    pub timezone: String,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub last_fired_at: Option<DateTime<Utc>>,
    pub last_result: Option<TickResult>,
}

/// `GET /api/v1/dashboard/schedules`.
pub async fn list(state: web::Data<AppState>, _user: DashUser) -> Result<HttpResponse, ApiError> {
    let tz = state.schedules.timezone;
    let rows: Vec<ScheduleRow> = entry_states(&state)
        .await?
        .into_iter()
        .map(|s| ScheduleRow {
            name: s.entry.name.clone(),
            expression: s.entry.expression.clone(),
            description: s.entry.description(),
            job: s.entry.job.clone(),
            payload: s.entry.payload.clone(),
            enabled: s.enabled,
            timezone: tz.name().to_owned(),
            next_fire_at: s.next_fire_at,
            last_fired_at: s.last_fired_at,
            last_result: s.last_result,
        })
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}
