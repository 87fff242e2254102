//! Job handlers, one file per job under a folder per domain, all registered in [`registry`].

pub mod diag;
pub mod intel;
pub mod mail;
pub mod maint;

use shared::jobs::payloads::{diag as d, intel as it, mail as ml, maint as m};

use crm_queue::runtime::Registry;

/// Every handler of the catalogue.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    r.register::<m::Backup, _, _, _>(maint::backup)
        .register::<m::BackupVerify, _, _, _>(maint::backup_verify)
        .register::<d::Noop, _, _, _>(diag::noop)
        .register::<d::Sleep, _, _, _>(diag::sleep)
        .register::<d::Fail, _, _, _>(diag::fail)
        .register::<ml::SyncAll, _, _, _>(mail::sync_all)
        .register::<ml::SyncAccount, _, _, _>(mail::sync_account)
        .register::<ml::Cleanup, _, _, _>(mail::cleanup)
        .register::<ml::Import, _, _, _>(mail::import)
        .register::<it::AnalyzeEmail, _, _, _>(intel::analyze_email)
        .register::<it::Reanalyze, _, _, _>(intel::reanalyze);
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_catalogue_job_has_a_handler() {
        assert!(
            super::registry().missing().is_empty(),
            "{:?}",
            super::registry().missing()
        );
    }
}
