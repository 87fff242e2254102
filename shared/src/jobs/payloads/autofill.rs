//! Autofill jobs: the batch that turns analysed emails into suggestions, web enrichment of an
//! organisation, and the daily accuracy figures of autofill from review decisions.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue, bounds};
use crate::models::OrganisationId;
use crate::models::email_account::EmailAccountId;
use crate::models::user::Role;
use crate::permissions::Resource;

/// `intel.autofill_batch`: read up to `limit` analysed emails not read yet (of one mailbox when
/// `account_id` is set) and propose changes to people and organisations; the sure ones are applied, the
/// others wait for review. Hourly, and run-now by managers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutofillBatch {
    /// Emails to read (default `AUTOFILL_BATCH_MAX`, 50), 1 to 10,000.
    #[serde(default, deserialize_with = "bounds::opt_u32_in::<1, 10_000, _>")]
    #[schema(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub account_id: Option<EmailAccountId>,
}

impl Job for AutofillBatch {
    const NAME: &'static str = "intel.autofill_batch";
    const QUEUE: Queue = Queue::Intel;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(1_800),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(600),
        },
    };
    const RUN_ROLE: Role = Role::Manager;
    const DESCRIPTION: &'static str = "Propose changes to people and organisations from analysed emails (auto-apply the sure ones)";

    fn resource(&self) -> Resource {
        self.account_id
            .map_or(Resource::Platform, Resource::EmailAccount)
    }
}

/// `enrich.organisation`: search the organisation on the web (SerpAPI's Google knowledge graph) and
/// propose its missing website, address, phone, LinkedIn and description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrichOrganisation {
    #[schema(value_type = i64)]
    pub organisation_id: OrganisationId,
}

impl Job for EnrichOrganisation {
    const NAME: &'static str = "enrich.organisation";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(60),
        max_attempts: 4,
        backoff: Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(900),
        },
    };
    const RUN_ROLE: Role = Role::User;
    const DESCRIPTION: &'static str =
        "Web enrichment of an organisation through SerpAPI (website, address, phone, LinkedIn)";
    const RATE_LIMIT: Option<&'static str> = Some("serpapi");

    fn resource(&self) -> Resource {
        Resource::Organisation(self.organisation_id)
    }

    /// One enrichment of an organisation a day (results are cached for a week anyway); a second request
    /// that day returns the first job.
    fn idempotency_key(&self) -> Option<String> {
        let day = chrono::Utc::now().date_naive();
        Some(format!(
            "enrich.organisation:{}:{day}",
            self.organisation_id
        ))
    }
}

/// `ai.accuracy_metrics`: per-field precision of autofill for `day` (default yesterday) from the
/// review decisions, stored in `ai_accuracy_metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccuracyMetrics {
    #[serde(default)]
    pub day: Option<chrono::NaiveDate>,
}

impl Job for AccuracyMetrics {
    const NAME: &'static str = "ai.accuracy_metrics";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(600),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(900),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str = "Per-field precision of autofill from review decisions";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `ai.cleanup_preferences`: delete users' suggestion choices past their 90 days (weekly).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanupPreferences {}

impl Job for CleanupPreferences {
    const NAME: &'static str = "ai.cleanup_preferences";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(600),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(900),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str = "Delete form-suggestion choices older than 90 days (RGPD)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}
