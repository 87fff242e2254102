//! Job handlers, one file per job under a folder per domain, all registered in [`registry`].

pub mod diag;
pub mod maint;

use shared::jobs::payloads::{diag as d, maint as m};

use crate::runtime::Registry;

/// Every handler of the catalogue.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    r.register::<m::Backup, _, _, _>(maint::backup)
        .register::<m::BackupVerify, _, _, _>(maint::backup_verify)
        .register::<d::Noop, _, _, _>(diag::noop)
        .register::<d::Sleep, _, _, _>(diag::sleep)
        .register::<d::Fail, _, _, _>(diag::fail);
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_catalogue_job_has_a_handler() {
        assert!(super::registry().missing().is_empty(), "{:?}", super::registry().missing());
    }
}
