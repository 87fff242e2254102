//! Job handlers, one file per job under a folder per domain, all registered in [`registry`].

pub mod ai;
pub mod campaigns;
pub mod diag;
pub mod enrich;
pub mod intel;
pub mod mail;
pub mod maint;
pub mod notify;
pub mod rgpd;
pub mod webhooks;

use shared::jobs::payloads::{
    autofill as af, campaigns as cp, diag as d, intel as it, mail as ml, maint as m, notify as nt,
    rgpd as rg, webhooks as wh,
};

use std::sync::Arc;

use crm_queue::runtime::Registry;

/// What handlers need beyond the job context, built once at boot.
#[derive(Clone)]
pub struct Services {
    /// The email analyser (the `LLM_*` cascade when configured), validated at boot.
    pub analyzer: Arc<llm::Analyzer>,
    /// The RGPD jobs' database, settings and the Redis keys they purge of erased subjects.
    pub rgpd: crm_rgpd::RgpdEnv,
    /// The webhook jobs' database, secrets, HTTP client under the egress policy and settings.
    pub webhooks: crm_webhooks::WebhookEnv,
    /// Outgoing mail (`SMTP_*`; `None`: mail jobs report themselves skipped) and where links point.
    pub mail_out: Option<Arc<notify::MailOut>>,
    /// Campaign mail: database, SMTP and DKIM settings, links, the process's SMTP pool.
    pub campaigns: crm_campaigns::send::CampaignEnv,
}

/// Every handler of the catalogue.
pub fn registry(services: &Services) -> Registry {
    let analyzer = services.analyzer.clone();
    let (rgpd1, rgpd2, rgpd3, rgpd4) = (
        services.rgpd.clone(),
        services.rgpd.clone(),
        services.rgpd.clone(),
        services.rgpd.clone(),
    );
    let (hooks1, hooks2) = (services.webhooks.clone(), services.webhooks.clone());
    let mail_out = services.mail_out.clone();
    let (camp1, camp2) = (services.campaigns.clone(), services.campaigns.clone());
    let mut r = Registry::default();
    r.register::<m::Backup, _, _, _>(maint::backup)
        .register::<m::BackupVerify, _, _, _>(maint::backup_verify)
        .register::<d::Noop, _, _, _>(diag::noop)
        .register::<d::Sleep, _, _, _>(diag::sleep)
        .register::<d::Fail, _, _, _>(diag::fail)
        .register::<d::Echo, _, _, _>(diag::echo)
        .register::<ml::SyncAll, _, _, _>(mail::sync_all)
        .register::<ml::SyncAccount, _, _, _>(mail::sync_account)
        .register::<ml::Cleanup, _, _, _>(mail::cleanup)
        .register::<ml::Import, _, _, _>(mail::import)
        .register::<it::AnalyzeEmail, _, _, _>(move |ctx, job| {
            intel::analyze_email(ctx, job, analyzer.clone())
        })
        .register::<it::Reanalyze, _, _, _>(intel::reanalyze)
        .register::<af::AutofillBatch, _, _, _>(intel::autofill_batch)
        .register::<af::EnrichOrganisation, _, _, _>(enrich::organisation)
        .register::<af::AccuracyMetrics, _, _, _>(ai::accuracy_metrics)
        .register::<af::CleanupPreferences, _, _, _>(ai::cleanup_preferences)
        .register::<rg::Export, _, _, _>(move |ctx, job| rgpd::export(ctx, job, rgpd1.clone()))
        .register::<rg::Erase, _, _, _>(move |ctx, job| rgpd::erase(ctx, job, rgpd2.clone()))
        .register::<rg::AnonymizeInactive, _, _, _>(move |ctx, job| {
            rgpd::anonymize_inactive(ctx, job, rgpd3.clone())
        })
        .register::<rg::CleanupAccessLogs, _, _, _>(rgpd::cleanup_access_logs)
        .register::<rg::ComplianceReport, _, _, _>(move |ctx, job| {
            rgpd::compliance_report(ctx, job, rgpd4.clone())
        })
        .register::<wh::Deliver, _, _, _>(move |ctx, job| {
            webhooks::deliver(ctx, job, hooks1.clone())
        })
        .register::<wh::Sweep, _, _, _>(move |ctx, job| webhooks::sweep(ctx, job, hooks2.clone()))
        .register::<nt::TaskDue, _, _, _>(notify::task_due)
        .register::<nt::EmailDigest, _, _, _>(move |ctx, job| {
            notify::email_digest(ctx, job, mail_out.clone())
        })
        .register::<cp::Tick, _, _, _>(move |ctx, job| campaigns::tick(ctx, job, camp1.clone()))
        .register::<cp::Send, _, _, _>(move |ctx, job| campaigns::send(ctx, job, camp2.clone()));
    r
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use std::sync::Arc;

    #[test]
    fn every_catalogue_job_has_a_handler() {
        let manager = diesel::r2d2::ConnectionManager::new("postgres://unused.invalid/none");
        let services = super::Services {
            analyzer: Arc::new(llm::Analyzer::from_env(|_| None).unwrap()),
            rgpd: crm_rgpd::RgpdEnv {
                pool: diesel::r2d2::Pool::builder().build_unchecked(manager),
                config: shared::config::RgpdConfig::from_env(
                    &shared::config::EnvSource::from_pairs(&[]),
                )
                .unwrap(),
                redis: None,
                cache_patterns: Vec::new(),
            },
            webhooks: crm_webhooks::WebhookEnv {
                pool: diesel::r2d2::Pool::builder().build_unchecked(
                    diesel::r2d2::ConnectionManager::new("postgres://unused.invalid/none"),
                ),
                secrets: None,
                http: egress::EgressHttp::strict(),
                config: shared::config::WebhookConfig::from_env(
                    &shared::config::EnvSource::from_pairs(&[]),
                )
                .unwrap(),
            },
            mail_out: None,
            campaigns: crm_campaigns::send::CampaignEnv::new(
                diesel::r2d2::Pool::builder().build_unchecked(
                    diesel::r2d2::ConnectionManager::new("postgres://unused.invalid/none"),
                ),
                None,
                None,
                shared::config::CampaignConfig::from_env(&shared::config::EnvSource::from_pairs(
                    &[],
                ))
                .unwrap(),
                shared::keyed_hash::KeyedHasher::new([0; 32]),
                egress::EgressPolicy::default(),
            ),
        };
        let missing = super::registry(&services).missing();
        assert!(missing.is_empty(), "{missing:?}");
    }
}
