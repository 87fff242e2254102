//! The detailed health check: Postgres, Redis and the workers, each bounded by a timeout, folded into one
//! overall status. Plain functions, called by the handler and by tests.

mod postgres;
mod redis;
mod workers;

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use self::postgres::{PoolStats, PostgresHealth};
pub use self::redis::RedisHealth;
pub use self::workers::WorkersHealth;
use crate::state::AppState;

/// Limit of each store check.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// A waiting job older than this makes the platform `degraded`.
pub const MAX_WAITING_AGE_SECS: f64 = 300.0;
/// A worker process whose last heartbeat is older than this is not counted as live.
pub const WORKER_LIVENESS_MS: i64 = 30_000;

/// Overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything works.
    Healthy,
    /// Requests are served but jobs may not run in time (no live worker, or a queue is backing up).
    Degraded,
    /// Postgres or Redis cannot be reached.
    Unhealthy,
}

/// The report of `GET /api/v1/health/detailed`. Holds no personal data, no host names and no URLs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    pub status: Status,
    /// Why the status is not `healthy`.
    pub problems: Vec<String>,
    pub checked_at: DateTime<Utc>,
    pub postgres: PostgresHealth,
    pub redis: RedisHealth,
    /// Absent when Redis cannot be reached.
    pub workers: Option<WorkersHealth>,
}

/// Runs every check concurrently and folds the results.
pub async fn check(state: &AppState) -> HealthReport {
    let (postgres, redis, workers) = tokio::join!(
        postgres::check(&state.pool),
        redis::check(state.redis()),
        workers::check(&state.queue),
    );
    fold(postgres, redis, workers.ok())
}

fn fold(
    postgres: PostgresHealth,
    redis: RedisHealth,
    workers: Option<WorkersHealth>,
) -> HealthReport {
    let mut problems = Vec::new();
    let mut status = Status::Healthy;
    if !postgres.up {
        problems.push("postgres is unreachable".to_owned());
        status = Status::Unhealthy;
    }
    if !redis.up {
        problems.push("redis is unreachable".to_owned());
        status = Status::Unhealthy;
    }
    if let Some(w) = &workers {
        let mut degraded = false;
        if w.live_processes == 0 {
            problems.push("no live worker process".to_owned());
            degraded = true;
        }
        for q in &w.queues {
            if q.oldest_waiting_secs > MAX_WAITING_AGE_SECS {
                problems.push(format!(
                    "queue `{}`: oldest waiting job is {:.0} s old (limit {MAX_WAITING_AGE_SECS:.0} s)",
                    q.queue, q.oldest_waiting_secs
                ));
                degraded = true;
            }
        }
        if degraded && status == Status::Healthy {
            status = Status::Degraded;
        }
    }
    HealthReport {
        status,
        problems,
        checked_at: Utc::now(),
        postgres,
        redis,
        workers,
    }
}

/// Runs `fut` within [`CHECK_TIMEOUT`]; the error is a short, URL-free description for the report.
async fn bounded<T, E: std::fmt::Display>(
    what: &'static str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::warn!(check = what, error = %e, "health check failed");
            Err(format!("{what} check failed"))
        }
        Err(_) => {
            tracing::warn!(check = what, "health check timed out");
            Err(format!(
                "{what} check timed out after {} s",
                CHECK_TIMEOUT.as_secs()
            ))
        }
    }
}

/// Milliseconds since `start`, with microsecond precision.
fn elapsed_ms(start: Instant) -> f64 {
    (start.elapsed().as_micros() as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use crm_queue::QueueDepth;
    use shared::jobs::Queue;

    use super::*;

    fn pg(up: bool) -> PostgresHealth {
        PostgresHealth {
            up,
            ..Default::default()
        }
    }

    fn rd(up: bool) -> RedisHealth {
        RedisHealth {
            up,
            ..Default::default()
        }
    }

    fn workers(live: u64, oldest: f64) -> WorkersHealth {
        WorkersHealth {
            live_processes: live,
            queues: vec![QueueDepth {
                queue: Queue::Maint,
                waiting: 1,
                oldest_waiting_secs: oldest,
            }],
            delayed: 0,
            dead: 0,
            quarantined: 0,
        }
    }

    #[test]
    fn status_folding() {
        assert_eq!(
            fold(pg(true), rd(true), Some(workers(1, 1.0))).status,
            Status::Healthy
        );
        assert_eq!(
            fold(pg(true), rd(true), Some(workers(0, 1.0))).status,
            Status::Degraded
        );
        let r = fold(pg(true), rd(true), Some(workers(2, 301.0)));
        assert_eq!(r.status, Status::Degraded);
        assert!(r.problems[0].contains("maint"), "{:?}", r.problems);
        assert_eq!(
            fold(pg(false), rd(true), Some(workers(1, 1.0))).status,
            Status::Unhealthy
        );
        assert_eq!(fold(pg(true), rd(false), None).status, Status::Unhealthy);
    }
}
