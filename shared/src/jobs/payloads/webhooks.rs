//! Webhook jobs: one attempt at delivering a message to an endpoint, and the minute sweep that hands
//! lost deliveries to a job again, turns off endpoints failing for too long and purges old log lines.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue};
use crate::models::user::Role;
use crate::models::webhook::WebhookDeliveryId;
use crate::permissions::Resource;

/// When attempt `n` (1-based) of a delivery failed, the next one comes this long after it (Standard
/// Webhooks' schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), jitter added.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3_600),
    Duration::from_secs(5 * 3_600),
    Duration::from_secs(10 * 3_600),
    Duration::from_secs(10 * 3_600),
];

/// `webhooks.deliver`: one attempt at delivery `delivery_id`. A failed attempt is retried on
/// [`RETRY_SCHEDULE`]; 429, 502 and 504 pause the receiver's bucket (`webhooks:<host>`) instead, honouring
/// `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deliver {
    #[schema(value_type = i64)]
    pub delivery_id: WebhookDeliveryId,
    /// The endpoint's host: the job's rate-limit bucket is `webhooks:<host>`.
    pub host: String,
    /// Set for an admin's replay: the delivery's attempt count when it was asked (one attempt, no
    /// schedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<u32>,
}

impl Job for Deliver {
    const NAME: &'static str = "webhooks.deliver";
    const QUEUE: Queue = Queue::Outbound;
    const POLICY: JobPolicy = JobPolicy {
        // The request itself is capped at 15 s; the rest is the database.
        timeout: Duration::from_secs(60),
        max_attempts: RETRY_SCHEDULE.len() as u32 + 1,
        // Unused: every failure names its delay from RETRY_SCHEDULE.
        backoff: Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(10 * 3_600),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Deliver one signed webhook message (Standard Webhooks) to its endpoint";
    const RATE_LIMIT: Option<&'static str> = Some("webhooks");

    fn resource(&self) -> Resource {
        // Endpoints are the admins' (the same rule as /api/v1/webhooks).
        Resource::Platform
    }

    fn rate_limit_scope(&self) -> Option<String> {
        let host: String = self
            .host
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
            .take(80)
            .collect();
        Some(if host.is_empty() { "-".into() } else { host })
    }

    fn idempotency_key(&self) -> Option<String> {
        Some(match self.replay {
            None => format!("webhooks.deliver:{}", self.delivery_id),
            Some(n) => format!("webhooks.replay:{}:{n}", self.delivery_id),
        })
    }
}

/// `webhooks.sweep` (every minute): deliveries whose job was lost go to a job again, endpoints failing
/// for longer than `WEBHOOK_DISABLE_AFTER_HOURS` are turned off, old events and log lines are purged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sweep {}

impl Job for Sweep {
    const NAME: &'static str = "webhooks.sweep";
    const QUEUE: Queue = Queue::Outbound;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(120),
        max_attempts: 2,
        backoff: Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(30),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str = "Re-enqueue lost webhook deliveries, turn off endpoints failing for days, purge old events and delivery logs";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}
