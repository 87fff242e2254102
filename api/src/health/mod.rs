//! The detailed health check: Postgres, Redis, the workers and the free space of the folders the
//! platform writes to, each bounded by a timeout, folded into one overall status; with the age of the
//! newest verified backup and each schedule's last fire, for operators (they do not change the status:
//! alert rules watch them). Plain functions, called by the handler and by tests.

mod disk;
mod postgres;
mod redis;
mod workers;

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use self::disk::{DEGRADED_BELOW_PERCENT, DiskHealth, UNHEALTHY_BELOW_PERCENT};
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
    /// Free space of `BACKUP_DIR` and of `MAIL_IMPORT_DIR` (when set).
    pub disks: Vec<DiskHealth>,
    /// The newest backup whose restore check passed (`None`: none yet, or Postgres unreachable).
    pub newest_verified_backup: Option<VerifiedBackup>,
    /// Each schedule's last successful fire (empty when Redis cannot be reached).
    pub schedules: Vec<ScheduleHealth>,
}

/// The backup to restore from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifiedBackup {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    /// Hours since it was started.
    pub age_hours: f64,
}

/// A schedule entry's last fire.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduleHealth {
    pub name: String,
    pub enabled: bool,
    pub last_fired_at: Option<DateTime<Utc>>,
    pub next_fire_at: Option<DateTime<Utc>>,
}

/// Runs every check concurrently and folds the results.
pub async fn check(state: &AppState) -> HealthReport {
    let mut folders = vec![("backup_dir", state.config.common.rgpd.backup_dir.clone())];
    if let Some(dir) = &state.mail.import_dir {
        folders.push(("mail_import_dir", dir.clone()));
    }
    let (postgres, redis, workers, disks, backup, schedules) = tokio::join!(
        postgres::check(&state.pool),
        redis::check(state.redis()),
        workers::check(&state.queue),
        bounded("disk", async {
            Ok::<_, String>(disk::check(folders).await)
        }),
        bounded("backup", newest_verified(state)),
        bounded("schedule", schedules(state)),
    );
    let mut report = fold(postgres, redis, workers.ok(), disks.unwrap_or_default());
    report.newest_verified_backup = backup.ok().flatten();
    report.schedules = schedules.unwrap_or_default();
    report
}

async fn newest_verified(state: &AppState) -> Result<Option<VerifiedBackup>, shared::db::DbError> {
    let found = shared::db::run_blocking(&state.pool, |c| {
        shared::models::backup::newest_verified_good(c)
    })
    .await?;
    Ok(found.map(|b| VerifiedBackup {
        id: b.id.0,
        started_at: b.started_at,
        verified_at: b.verified_at,
        age_hours: ((Utc::now() - b.started_at).num_seconds() as f64 / 3_600.0 * 10.0).round()
            / 10.0,
    }))
}

async fn schedules(state: &AppState) -> Result<Vec<ScheduleHealth>, crate::error::ApiError> {
    Ok(crate::routes::schedules::state::entry_states(state)
        .await?
        .into_iter()
        .map(|e| ScheduleHealth {
            name: e.entry.name.clone(),
            enabled: e.enabled,
            last_fired_at: e.last_fired_at,
            next_fire_at: e.next_fire_at,
        })
        .collect())
}

fn fold(
    postgres: PostgresHealth,
    redis: RedisHealth,
    workers: Option<WorkersHealth>,
    disks: Vec<DiskHealth>,
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
    for d in &disks {
        let Some(free) = d.free_percent else { continue };
        if free < UNHEALTHY_BELOW_PERCENT {
            problems.push(format!(
                "{}: {free:.1} % free (unhealthy under {UNHEALTHY_BELOW_PERCENT} %)",
                d.name
            ));
            status = Status::Unhealthy;
        } else if free < DEGRADED_BELOW_PERCENT {
            problems.push(format!(
                "{}: {free:.1} % free (degraded under {DEGRADED_BELOW_PERCENT} %)",
                d.name
            ));
            if status == Status::Healthy {
                status = Status::Degraded;
            }
        }
    }
    HealthReport {
        status,
        problems,
        checked_at: Utc::now(),
        postgres,
        redis,
        workers,
        disks,
        newest_verified_backup: None,
        schedules: Vec::new(),
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
            fold(pg(true), rd(true), Some(workers(1, 1.0)), Vec::new()).status,
            Status::Healthy
        );
        assert_eq!(
            fold(pg(true), rd(true), Some(workers(0, 1.0)), Vec::new()).status,
            Status::Degraded
        );
        let r = fold(pg(true), rd(true), Some(workers(2, 301.0)), Vec::new());
        assert_eq!(r.status, Status::Degraded);
        assert!(r.problems[0].contains("maint"), "{:?}", r.problems);
        assert_eq!(
            fold(pg(false), rd(true), Some(workers(1, 1.0)), Vec::new()).status,
            Status::Unhealthy
        );
        assert_eq!(
            fold(pg(true), rd(false), None, Vec::new()).status,
            Status::Unhealthy
        );
    }

    fn disk(free: u64) -> DiskHealth {
        let mut d = DiskHealth::measure("backup_dir", std::path::Path::new("/nonexistent"));
        d.free_bytes = Some(free);
        d.total_bytes = Some(1_000);
        d.free_percent = Some(free as f64 / 10.0);
        d.error = None;
        d
    }

    #[test]
    fn a_full_disk_degrades_then_breaks_the_platform() {
        let ok = || Some(workers(1, 1.0));
        assert_eq!(
            fold(pg(true), rd(true), ok(), vec![disk(500)]).status,
            Status::Healthy
        );
        let low = fold(pg(true), rd(true), ok(), vec![disk(99)]);
        assert_eq!(low.status, Status::Degraded);
        assert!(
            low.problems[0].starts_with("backup_dir: 9.9 % free"),
            "{:?}",
            low.problems
        );
        assert_eq!(
            fold(pg(true), rd(true), ok(), vec![disk(19)]).status,
            Status::Unhealthy
        );
        // A folder that cannot be read here (another host's) changes nothing.
        let unread = DiskHealth::measure("mail_import_dir", std::path::Path::new("/nonexistent"));
        assert_eq!(
            fold(pg(true), rd(true), ok(), vec![unread]).status,
            Status::Healthy
        );
    }
}
