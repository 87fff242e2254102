//! AI-quality jobs: accuracy of autofill from review decisions.

mod accuracy_metrics;

pub use accuracy_metrics::accuracy_metrics;
