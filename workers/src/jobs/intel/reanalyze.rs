//! `intel.reanalyze`: enqueue the re-analysis of the selected stored emails.

use crm_analysis::ReanalyzeOutcome;
use crm_queue::runtime::{JobCtx, JobError};
use shared::jobs::payloads::intel::Reanalyze;

/// Handler of `intel.reanalyze`.
pub async fn reanalyze(ctx: JobCtx, job: Reanalyze) -> Result<ReanalyzeOutcome, JobError> {
    crm_analysis::reanalyze(&ctx.app.db, ctx.queue(), &job, &ctx).await
}
