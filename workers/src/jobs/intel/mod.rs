//! Email-intelligence jobs (see `shared::jobs::payloads::intel`): the analysis of stored emails with the
//! built-in analyser (`crm-intel`), behind the LLM cascade and its cache (`crm-llm`) when configured.

mod analyze_email;
mod analyzer;
mod reanalyze;

pub use analyze_email::{AnalyzeOutcome, analyze_email, analyze_interaction};
pub use analyzer::shared_analyzer;
pub use reanalyze::{ReanalyzeOutcome, reanalyze};
