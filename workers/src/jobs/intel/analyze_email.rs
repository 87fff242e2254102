//! `intel.analyze_email`: analyse one stored email and store the result.

use std::sync::Arc;

use crm_analysis::{AnalyzeOutcome, analyze_interaction};
use crm_queue::runtime::{JobCtx, JobError};
use shared::jobs::payloads::intel::AnalyzeEmail;

/// Handler of `intel.analyze_email`, with the process's analyser (built at boot).
pub async fn analyze_email(
    ctx: JobCtx,
    job: AnalyzeEmail,
    analyzer: Arc<llm::Analyzer>,
) -> Result<AnalyzeOutcome, JobError> {
    analyze_interaction(&ctx.app.db, &analyzer, job.interaction_id.0).await
}
