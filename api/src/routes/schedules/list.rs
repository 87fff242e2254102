use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, TimeZone, Utc};
use crm_schedules::TickResult;
use redis::AsyncCommands;
use serde::Serialize;

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
    /// The last tick the scheduler fired (UTC).
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
    let mut conn = state.redis();
    let last: HashMap<String, i64> = conn.hgetall(state.keys().scheduler_last()).await?;
    let results: HashMap<String, String> = conn.hgetall(state.keys().scheduler_result()).await?;
    let table = &state.schedules;
    let tz = table.timezone;
    let now = Utc::now();
    let views: Vec<ScheduleView> = table
        .entries
        .iter()
        .map(|entry| {
            let next = entry.enabled.then(|| entry.next_after(now, tz)).flatten();
            ScheduleView {
                name: entry.name.clone(),
                expression: entry.expression.clone(),
                job: entry.job.clone(),
                payload: entry.payload.clone(),
                enabled: entry.enabled,
                timezone: tz.name().to_owned(),
                next_fire_at: next,
                next_fire_local: next.map(|t| t.with_timezone(&tz).to_rfc3339()),
                last_fired_at: last
                    .get(&entry.name)
                    .and_then(|ms| Utc.timestamp_millis_opt(*ms).single()),
                last_result: results
                    .get(&entry.name)
                    .and_then(|json| serde_json::from_str(json).ok()),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
