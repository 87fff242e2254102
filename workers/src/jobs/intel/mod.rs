//! Email-intelligence jobs (see `shared::jobs::payloads::intel`); the work is the `crm-analysis` crate's.

mod analyze_email;
mod autofill_batch;
mod reanalyze;

pub use analyze_email::analyze_email;
pub use autofill_batch::autofill_batch;
pub use reanalyze::reanalyze;
