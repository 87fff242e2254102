//! Email-intelligence jobs: analyse one stored email, re-analyse a selection.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue};
use crate::models::email_account::EmailAccountId;
use crate::models::interaction::InteractionId;
use crate::models::user::Role;
use crate::permissions::Resource;

/// `intel.analyze_email`: analyse a stored email (intent, signature, extras) and store the result,
/// replacing an earlier one. Enqueued by the mail sync for every new inbound email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeEmail {
    #[schema(value_type = i64)]
    pub interaction_id: InteractionId,
}

impl Job for AnalyzeEmail {
    const NAME: &'static str = "intel.analyze_email";
    const QUEUE: Queue = Queue::Intel;
    const POLICY: JobPolicy = JobPolicy {
        // the built-in analyser takes milliseconds; LLM providers get 5 s each by default
        timeout: Duration::from_secs(120),
        max_attempts: 5,
        backoff: Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(300),
        },
    };
    const RUN_ROLE: Role = Role::User;
    const DESCRIPTION: &'static str =
        "Analyse a stored email: intent, signature, entities, keywords";

    fn resource(&self) -> Resource {
        Resource::Interaction(self.interaction_id)
    }
}

/// `intel.reanalyze`: enqueue `intel.analyze_email` for the inbound emails selected (every filter is
/// optional): of one account, sent in `[from, to)`, whose result is missing or of another analyser
/// version than `analyzer_version_not`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reanalyze {
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub account_id: Option<EmailAccountId>,
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    #[serde(default)]
    pub analyzer_version_not: Option<String>,
}

impl Job for Reanalyze {
    const NAME: &'static str = "intel.reanalyze";
    const QUEUE: Queue = Queue::Intel;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(3_600),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(600),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Re-analyse stored emails (by account, date range or analyser version)";

    fn resource(&self) -> Resource {
        self.account_id
            .map_or(Resource::Platform, Resource::EmailAccount)
    }
}
