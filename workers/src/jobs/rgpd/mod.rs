//! RGPD jobs: thin handlers over `crm-rgpd`.

mod anonymize_inactive;
mod cleanup_access_logs;
mod compliance_report;
mod erase;
mod export;

pub use anonymize_inactive::anonymize_inactive;
pub use cleanup_access_logs::cleanup_access_logs;
pub use compliance_report::compliance_report;
pub use erase::erase;
pub use export::export;
