//! AI-quality jobs: accuracy of autofill from review decisions, expiry of users' suggestion choices.

mod accuracy_metrics;
mod cleanup_preferences;

pub use accuracy_metrics::accuracy_metrics;
pub use cleanup_preferences::cleanup_preferences;
