//! Email-intelligence jobs (see `shared::jobs::payloads::intel`); the work is the `crm-analysis` crate's.

mod analyze_email;
mod reanalyze;

pub use analyze_email::analyze_email;
pub use reanalyze::reanalyze;
