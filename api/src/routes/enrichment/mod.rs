//! Web enrichment run on demand.

pub mod organisation;
