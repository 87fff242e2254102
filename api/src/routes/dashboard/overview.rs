use actix_web::{HttpResponse, web};
use crm_queue::{MinutePoint, QueueStats};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use shared::db::run_blocking;
use shared::jobs::Queue;

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Minutes in the overview's activity series.
const SERIES_MINUTES: usize = 60;

/// One queue on the overview: live counts from Redis, plus the last hour as recorded durably in Postgres.
#[derive(Serialize)]
pub struct QueueOverview {
    #[serde(flatten)]
    pub stats: QueueStats,
    /// Jobs that finished in the last hour according to `job_history` (survives a Redis loss).
    pub history_succeeded_last_hour: i64,
    pub history_dead_last_hour: i64,
}

#[derive(Serialize)]
pub struct Overview {
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub queues: Vec<QueueOverview>,
    pub workers_online: usize,
    /// Jobs in flight across the live worker processes.
    pub in_flight: u64,
    /// The last hour, one point per minute, oldest first, all queues summed.
    pub series: Vec<MinutePoint>,
}

#[derive(QueryableByName)]
struct HistoryRow {
    #[diesel(sql_type = Text)]
    queue: String,
    #[diesel(sql_type = BigInt)]
    succeeded: i64,
    #[diesel(sql_type = BigInt)]
    dead: i64,
}

/// Reads only the last hour of `job_history` through its `finished_at` index, so the cost follows the
/// last hour's volume, not the table's size.
const HISTORY_SQL: &str = "SELECT queue, \
       count(*) FILTER (WHERE state = 'succeeded') AS succeeded, \
       count(*) FILTER (WHERE state = 'dead') AS dead \
     FROM job_history WHERE finished_at >= now() - interval '1 hour' GROUP BY queue";

/// `GET /api/v1/dashboard/overview`: per-queue counts, workers online and the per-minute series of the
/// last hour. The page polls it every 2 s.
pub async fn overview(
    state: web::Data<AppState>,
    _user: DashUser,
) -> Result<HttpResponse, ApiError> {
    let history = run_blocking(&state.pool, |conn| {
        diesel::sql_query(HISTORY_SQL)
            .load::<HistoryRow>(conn)
            .map_err(shared::db::DbError::from)
    });
    let live = async {
        let mut stats = Vec::with_capacity(Queue::ALL.len());
        for queue in Queue::ALL {
            stats.push(state.queue.queue_stats(queue).await?);
        }
        let processes = state.queue.processes().await?;
        let series = state.queue.minute_series(None, SERIES_MINUTES).await?;
        Ok::<_, redis::RedisError>((stats, processes, series))
    };
    let (history, live) = futures::join!(history, live);
    let history = history?;
    let (stats, processes, series) = live?;
    let queues = stats
        .into_iter()
        .map(|stats| {
            let row = history.iter().find(|r| r.queue == stats.queue.as_str());
            QueueOverview {
                history_succeeded_last_hour: row.map_or(0, |r| r.succeeded),
                history_dead_last_hour: row.map_or(0, |r| r.dead),
                stats,
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(Overview {
            generated_at: chrono::Utc::now(),
            queues,
            workers_online: processes.len(),
            in_flight: processes.iter().map(|p| p.in_flight).sum(),
            series,
        }))
}
