//! RGPD jobs: a data subject's export and erasure requests, the weekly anonymisation of inactive accounts
//! and contacts, the monthly purge of the access log and the monthly compliance report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue, bounds};
use crate::models::rgpd_request::RgpdRequestId;
use crate::models::user::Role;
use crate::permissions::Resource;

const REQUEST_POLICY: JobPolicy = JobPolicy {
    timeout: Duration::from_secs(1_800),
    max_attempts: 5,
    backoff: Backoff {
        base: Duration::from_secs(30),
        max: Duration::from_secs(1_800),
    },
};

const SWEEP_POLICY: JobPolicy = JobPolicy {
    timeout: Duration::from_secs(3_600),
    max_attempts: 3,
    backoff: Backoff {
        base: Duration::from_secs(60),
        max: Duration::from_secs(1_800),
    },
};

/// `rgpd.export`: gather everything held about the subject of export request `request_id` into a zip
/// (JSON and CSV) downloadable once through a signed link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Export {
    #[schema(value_type = i64)]
    pub request_id: RgpdRequestId,
}

impl Job for Export {
    const NAME: &'static str = "rgpd.export";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = REQUEST_POLICY;
    // The request's own rule decides: admins, or the user whose account it is about.
    const RUN_ROLE: Role = Role::Viewer;
    const DESCRIPTION: &'static str =
        "Export everything held about a person or user (RGPD Art. 15/20) as a zip of JSON and CSV";

    fn resource(&self) -> Resource {
        Resource::RgpdRequest(self.request_id)
    }

    fn idempotency_key(&self) -> Option<String> {
        Some(format!("rgpd.export:{}", self.request_id))
    }
}

/// `rgpd.erase`: erase the subject of erasure request `request_id` (anonymise what must be kept, delete
/// the rest), after writing it to the erasure ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Erase {
    #[schema(value_type = i64)]
    pub request_id: RgpdRequestId,
}

impl Job for Erase {
    const NAME: &'static str = "rgpd.erase";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = REQUEST_POLICY;
    const RUN_ROLE: Role = Role::Viewer;
    const DESCRIPTION: &'static str = "Erase a person or user (RGPD Art. 17): anonymise kept records, delete the rest, ledger first";

    fn resource(&self) -> Resource {
        Resource::RgpdRequest(self.request_id)
    }

    fn idempotency_key(&self) -> Option<String> {
        Some(format!("rgpd.erase:{}", self.request_id))
    }
}

/// `rgpd.anonymize_inactive`: anonymise users and contacts without activity for `RGPD_INACTIVE_DAYS`
/// (Monday 01:00). Admin accounts are never anonymised automatically. `dry_run` counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnonymizeInactive {
    #[serde(default)]
    pub dry_run: bool,
    /// At most this many subjects this run (default: all), 1 to 10,000,000.
    #[serde(default, deserialize_with = "bounds::opt_u32_in::<1, 10_000_000, _>")]
    #[schema(minimum = 1, maximum = 10000000)]
    pub limit: Option<u32>,
}

impl Job for AnonymizeInactive {
    const NAME: &'static str = "rgpd.anonymize_inactive";
    const QUEUE: Queue = Queue::Maint;
    const POLICY: JobPolicy = SWEEP_POLICY;
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Anonymise users and contacts inactive for RGPD_INACTIVE_DAYS (never admins)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `rgpd.cleanup_access_logs`: delete access-log entries older than `RGPD_ACCESS_LOG_RETENTION_DAYS`
/// (1st of the month, 02:00), and export archives whose link expired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanupAccessLogs {}

impl Job for CleanupAccessLogs {
    const NAME: &'static str = "rgpd.cleanup_access_logs";
    const QUEUE: Queue = Queue::Maint;
    const POLICY: JobPolicy = SWEEP_POLICY;
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Delete access-log entries past RGPD_ACCESS_LOG_RETENTION_DAYS and expired export archives";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `rgpd.compliance_report`: the figures of a month (default: the previous one) stored with their HTML
/// and PDF (1st of the month, 03:00).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplianceReport {
    /// First day of the month to report on; default the previous month.
    #[serde(default)]
    pub month: Option<chrono::NaiveDate>,
}

impl Job for ComplianceReport {
    const NAME: &'static str = "rgpd.compliance_report";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = SWEEP_POLICY;
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str = "Monthly RGPD compliance report (requests and delays, anonymisations, access-log volume, anomalies)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}
