//! The email-analysis domain: analyse a stored email with the built-in analyser (`crm-intel`) or the LLM
//! cascade (`crm-llm`) and store the result ([`analyze_interaction`]); select stored emails and enqueue
//! their re-analysis ([`reanalyze`]). Plain functions called by the handlers of `workers/src/jobs/intel`
//! and by tests.

mod analyze;
mod reanalyze;
pub mod route;

pub use analyze::{AnalyzeOutcome, analyze_interaction};
pub use reanalyze::{ReanalyzeOutcome, reanalyze};
