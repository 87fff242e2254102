use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, TimeZone, Utc};
use crm_schedules::TickResult;
use redis::AsyncCommands;
use serde::Serialize;

use crate::dashboard::{DashUser, cron_words};
use crate::error::ApiError;
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
    let mut conn = state.redis();
    let last: HashMap<String, i64> = conn.hgetall(state.keys().scheduler_last()).await?;
    let results: HashMap<String, String> = conn.hgetall(state.keys().scheduler_result()).await?;
    let overrides = crm_schedules::enabled_overrides(&state.queue).await?;
    let table = &state.schedules;
    let tz = table.timezone;
    let now = Utc::now();
    let rows: Vec<ScheduleRow> = table
        .entries
        .iter()
        .map(|entry| {
            // An operator's enable/disable (Redis) wins over the table, as in the scheduler.
            let enabled = overrides.get(&entry.name).copied().unwrap_or(entry.enabled);
            ScheduleRow {
                name: entry.name.clone(),
                expression: entry.expression.clone(),
                description: cron_words::describe(&entry.expression),
                job: entry.job.clone(),
                payload: entry.payload.clone(),
                enabled,
                timezone: tz.name().to_owned(),
                next_fire_at: enabled.then(|| entry.next_after(now, tz)).flatten(),
                last_fired_at: last
                    .get(&entry.name)
                    .and_then(|ms| Utc.timestamp_millis_opt(*ms).single()),
                last_result: results
                    .get(&entry.name)
                    .and_then(|json| serde_json::from_str(json).ok()),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}
