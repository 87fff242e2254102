//! Web-enrichment jobs (see `shared::jobs::payloads::autofill`); the work is the `crm-autofill` crate's.

mod organisation;

pub use organisation::organisation;
