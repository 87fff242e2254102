//! Campaign jobs: the minute tick that launches, paces and finishes campaigns, and one send.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue};
use crate::models::campaign::{CampaignId, CampaignSendId};
use crate::models::user::Role;
use crate::permissions::Resource;

/// `campaigns.tick` (every minute): launches scheduled campaigns that are due (enrolling their audience),
/// makes the drip steps that fell due, stops recipients who replied, hands pending sends to
/// `campaigns.send` jobs (again when a job was lost or its worker died mid-send) and completes campaigns
/// with nothing left to send. Each campaign's owner must still be allowed to change it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tick {}

impl Job for Tick {
    const NAME: &'static str = "campaigns.tick";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(300),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Launch due campaigns, make due drip steps, hand pending sends to jobs, finish campaigns";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `campaigns.send`: one message of a campaign to one recipient (send record `send_id`), through the
/// global `smtp` rate-limit bucket. The record is claimed before the SMTP transaction; a record already
/// sent, a paused or cancelled campaign, or a suppressed address sends nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Send {
    #[schema(value_type = i64)]
    pub campaign_id: CampaignId,
    #[schema(value_type = i64)]
    pub send_id: CampaignSendId,
    /// Which hand-over of the record this job is (a record whose job was lost is handed over again).
    #[serde(default)]
    pub round: i64,
}

impl Job for Send {
    const NAME: &'static str = "campaigns.send";
    const QUEUE: Queue = Queue::Outbound;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(90),
        max_attempts: 5,
        backoff: Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(1_800),
        },
    };
    const RUN_ROLE: Role = Role::User;
    const DESCRIPTION: &'static str = "Send one campaign message to one recipient";
    const RATE_LIMIT: Option<&'static str> = Some("smtp");

    fn resource(&self) -> Resource {
        Resource::Campaign(self.campaign_id)
    }

    fn idempotency_key(&self) -> Option<String> {
        Some(format!("campaigns.send:{}:{}", self.send_id, self.round))
    }
}
