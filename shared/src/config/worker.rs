//! Settings of the `workers` process: queues, concurrency, liveness, scheduler, backups.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{AutofillConfig, CommonConfig, ConfigError, EnvSource, MailConfig, RateLimits};
use crate::jobs::Queue;

/// Worker pool settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub common: CommonConfig,
    /// Queues served by this process, with their concurrency.
    pub queues: BTreeMap<Queue, usize>,
    pub heartbeat: Duration,
    pub missed_heartbeats: usize,
    pub shutdown_grace: Duration,
    pub poll_fallback: Duration,
    pub metrics_bind: Option<SocketAddr>,
    pub scheduler: SchedulerConfig,
    pub backup_dir: PathBuf,
    pub backup_retention_days: u32,
    pub pg_bin_dir: Option<PathBuf>,
    /// Mailbox sync settings (`MAIL_*`).
    pub mail: MailConfig,
    /// Global rate-limit buckets and the jobs that start through them (`RATE_LIMIT_*`).
    pub rate_limits: RateLimits,
    /// Autofill and web enrichment (`AUTOFILL_*`, `SERPAPI_*`).
    pub autofill: AutofillConfig,
    /// `ROUTING_DEFAULT_USER_ID`: who gets analysed inbound emails no routing rule matches (none: unassigned).
    pub routing_default_user: Option<crate::models::UserId>,
}

/// Scheduler settings; the cron table itself lives in the `schedules` crate.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    pub enabled: bool,
    pub lease: Duration,
    pub timezone: chrono_tz::Tz,
}

impl WorkerConfig {
    /// Reads the worker settings.
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        let mut concurrency: BTreeMap<Queue, usize> = Queue::ALL
            .iter()
            .map(|q| (*q, q.default_concurrency()))
            .collect();
        if let Some(raw) = env
            .get("WORKER_CONCURRENCY")
            .filter(|v| !v.trim().is_empty())
        {
            for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (name, n) = part.split_once('=').ok_or_else(|| {
                    env.invalid("WORKER_CONCURRENCY", format!("`{part}` is not queue=N"))
                })?;
                let queue: Queue = name
                    .trim()
                    .parse()
                    .map_err(|e| env.invalid("WORKER_CONCURRENCY", e))?;
                let n: usize = n
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=1_000).contains(n))
                    .ok_or_else(|| {
                        env.invalid(
                            "WORKER_CONCURRENCY",
                            format!("`{part}`: N must be 1..=1000"),
                        )
                    })?;
                concurrency.insert(queue, n);
            }
        }
        let queues = match env.get("WORKER_QUEUES").filter(|v| !v.trim().is_empty()) {
            None => concurrency,
            Some(raw) => {
                let mut selected = BTreeMap::new();
                for name in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let q: Queue = name.parse().map_err(|e| env.invalid("WORKER_QUEUES", e))?;
                    selected.insert(q, concurrency.get(&q).copied().unwrap_or(1));
                }
                selected
            }
        };
        let metrics_bind = match env.get("METRICS_BIND") {
            Some(v) if v.trim().is_empty() => None,
            None => Some(SocketAddr::from(([127, 0, 0, 1], 9091))),
            Some(v) => Some(
                v.trim()
                    .parse()
                    .map_err(|e| env.invalid("METRICS_BIND", e))?,
            ),
        };
        let timezone: chrono_tz::Tz =
            env.parse_or("SCHEDULER_TIMEZONE", chrono_tz::Europe::Paris)?;
        Ok(Self {
            common,
            queues,
            heartbeat: Duration::from_secs(env.parse_in("WORKER_HEARTBEAT_SECS", 5, 1..=300)?),
            missed_heartbeats: env.parse_in("WORKER_MISSED_HEARTBEATS", 6, 2..=100)?,
            shutdown_grace: Duration::from_secs(env.parse_in(
                "WORKER_SHUTDOWN_GRACE_SECS",
                30,
                0..=3_600,
            )?),
            poll_fallback: Duration::from_millis(env.parse_in(
                "WORKER_POLL_FALLBACK_MS",
                500,
                5..=60_000,
            )?),
            metrics_bind,
            scheduler: SchedulerConfig {
                enabled: env.bool_or("SCHEDULER_ENABLED", true)?,
                lease: Duration::from_millis(env.parse_in(
                    "SCHEDULER_LEASE_MS",
                    10_000,
                    500..=300_000,
                )?),
                timezone,
            },
            backup_dir: PathBuf::from(env.string_or("BACKUP_DIR", "./backups")?),
            backup_retention_days: env.parse_in("BACKUP_RETENTION_DAYS", 10, 1..=3_650)?,
            pg_bin_dir: env
                .get("PG_BIN_DIR")
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from),
            mail: MailConfig::from_env(env)?,
            rate_limits: RateLimits::from_env(env)?,
            autofill: AutofillConfig::from_env(env)?,
            routing_default_user: match env
                .get("ROUTING_DEFAULT_USER_ID")
                .filter(|v| !v.trim().is_empty())
            {
                None => None,
                Some(v) => Some(crate::models::UserId(
                    v.trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|id| *id > 0)
                        .ok_or_else(|| {
                            env.invalid("ROUTING_DEFAULT_USER_ID", "expected a user id")
                        })?,
                )),
            },
        })
    }
}
