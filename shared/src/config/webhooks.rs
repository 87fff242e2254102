//! Webhook settings (`WEBHOOK_*`): how long a rotated secret keeps signing, when a failing endpoint is
//! turned off, how long the delivery log and relayed events are kept.

use std::time::Duration;

use super::{ConfigError, EnvSource};

/// Read by the API (rotation) and the workers (delivery, sweep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `WEBHOOK_SECRET_OVERLAP_HOURS` (24): after a rotation, the old secret signs too for this long, so
    /// receivers can switch without dropping messages.
    pub secret_overlap: Duration,
    /// `WEBHOOK_DISABLE_AFTER_HOURS` (120, five days): an endpoint whose every attempt failed for this long
    /// is turned off, and admins are notified.
    pub disable_after: Duration,
    /// `WEBHOOK_LOG_RETENTION_DAYS` (30): finished deliveries, their log, and relayed events older than
    /// this are deleted by `webhooks.sweep`.
    pub log_retention: Duration,
}

impl WebhookConfig {
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let hours = |h: u64| Duration::from_secs(h * 3_600);
        Ok(Self {
            secret_overlap: hours(env.parse_in("WEBHOOK_SECRET_OVERLAP_HOURS", 24, 0..=720)?),
            disable_after: hours(env.parse_in("WEBHOOK_DISABLE_AFTER_HOURS", 120, 1..=2_160)?),
            log_retention: hours(24 * env.parse_in("WEBHOOK_LOG_RETENTION_DAYS", 30, 1..=3_650)?),
        })
    }
}
