//! The job catalogue: every job the platform knows, registered in one function.

use std::sync::LazyLock;

use super::JobSpec;
use super::payloads::{autofill, campaigns, diag, intel, mail, maint, notify, rgpd, webhooks};

static CATALOGUE: LazyLock<Vec<JobSpec>> = LazyLock::new(|| {
    vec![
        JobSpec::of::<maint::Backup>(),
        JobSpec::of::<maint::BackupVerify>(),
        JobSpec::of::<diag::Noop>(),
        JobSpec::of::<diag::Sleep>(),
        JobSpec::of::<diag::Fail>(),
        JobSpec::of::<diag::Echo>(),
        JobSpec::of::<mail::SyncAll>(),
        JobSpec::of::<mail::SyncAccount>(),
        JobSpec::of::<mail::Cleanup>(),
        JobSpec::of::<mail::Import>(),
        JobSpec::of::<intel::AnalyzeEmail>(),
        JobSpec::of::<intel::Reanalyze>(),
        JobSpec::of::<autofill::AutofillBatch>(),
        JobSpec::of::<autofill::EnrichOrganisation>(),
        JobSpec::of::<autofill::AccuracyMetrics>(),
        JobSpec::of::<autofill::CleanupPreferences>(),
        JobSpec::of::<rgpd::Export>(),
        JobSpec::of::<rgpd::Erase>(),
        JobSpec::of::<rgpd::AnonymizeInactive>(),
        JobSpec::of::<rgpd::CleanupAccessLogs>(),
        JobSpec::of::<rgpd::ComplianceReport>(),
        JobSpec::of::<webhooks::Deliver>(),
        JobSpec::of::<webhooks::Sweep>(),
        JobSpec::of::<notify::TaskDue>(),
        JobSpec::of::<notify::EmailDigest>(),
        JobSpec::of::<campaigns::Tick>(),
        JobSpec::of::<campaigns::Send>(),
    ]
});

/// Every job, in registration order.
pub fn all() -> &'static [JobSpec] {
    &CATALOGUE
}

/// The entry for `name`, if the job exists.
pub fn find(name: &str) -> Option<&'static JobSpec> {
    CATALOGUE.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_unique_and_namespaced() {
        let mut seen = HashSet::new();
        for spec in all() {
            assert!(seen.insert(spec.name), "duplicate {}", spec.name);
            let (domain, job) = spec.name.split_once('.').unwrap();
            assert!(!domain.is_empty() && !job.is_empty());
            assert!(spec.policy.max_attempts >= 1);
        }
    }

    #[test]
    fn validation_names_the_bad_field() {
        let spec = find("diag.sleep").unwrap();
        let err = spec
            .validate(&serde_json::json!({"millis": "soon"}))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("millis"));
        let err = spec
            .validate(&serde_json::json!({"millis": 1, "bogus": 1}))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("bogus"));
        let err = spec.validate(&serde_json::json!({})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("millis"));
        assert!(spec.validate(&serde_json::json!({"millis": 5})).is_ok());
    }

    #[test]
    fn out_of_range_fields_are_refused_naming_the_field() {
        use crate::jobs::payloads::diag::Sleep;
        let spec = find("diag.sleep").unwrap();
        let max = Sleep::MAX_MILLIS;
        assert!(spec.validate(&serde_json::json!({ "millis": max })).is_ok());
        let err = spec
            .validate(&serde_json::json!({ "millis": max + 1 }))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("millis"));
        assert!(err.message.contains("at most 600000"), "{err}");
        for steps in [0, 1_001] {
            let err = spec
                .validate(&serde_json::json!({ "millis": 5, "steps": steps }))
                .unwrap_err();
            assert_eq!(err.field.as_deref(), Some("steps"));
        }
    }

    #[test]
    fn every_job_declares_the_resource_its_payload_touches() {
        use crate::permissions::Resource;
        let cases = [
            (
                "mail.sync_account",
                serde_json::json!({"account_id": 3}),
                "email_account:3",
            ),
            (
                "intel.analyze_email",
                serde_json::json!({"interaction_id": 4}),
                "interaction:4",
            ),
            (
                "maint.backup_verify",
                serde_json::json!({"backup_id": 5}),
                "backup:5",
            ),
            ("maint.backup_verify", serde_json::json!({}), "platform"),
            (
                "intel.reanalyze",
                serde_json::json!({"account_id": 6}),
                "email_account:6",
            ),
            ("intel.autofill_batch", serde_json::json!({}), "platform"),
            (
                "intel.autofill_batch",
                serde_json::json!({"account_id": 7, "limit": 10}),
                "email_account:7",
            ),
            (
                "enrich.organisation",
                serde_json::json!({"organisation_id": 8}),
                "organisation:8",
            ),
            (
                "rgpd.erase",
                serde_json::json!({"request_id": 9}),
                "rgpd_request:9",
            ),
            ("rgpd.anonymize_inactive", serde_json::json!({}), "platform"),
        ];
        for (job, payload, resource) in cases {
            let got: Resource = find(job).unwrap().check(&payload).unwrap();
            assert_eq!(got.to_string(), resource, "{job}");
        }
    }

    #[test]
    fn echo_takes_one_short_message() {
        let spec = find("diag.echo").unwrap();
        assert!(
            spec.validate(&serde_json::json!({"message": "bonjour"}))
                .is_ok()
        );
        let err = spec.validate(&serde_json::json!({})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("message"));
        let long = "x".repeat(1_001);
        let err = spec
            .validate(&serde_json::json!({ "message": long }))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("message"));
    }
}
