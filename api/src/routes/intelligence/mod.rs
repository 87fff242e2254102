//! Email intelligence: analyse a posted message without storing it, statistics of the stored analyses.

pub mod analyze;
pub mod stats;
