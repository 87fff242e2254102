//! `intel.analyze_email`: analyse one stored email and store the result.

use std::sync::Arc;

use crm_analysis::route::{Routed, route_email};
use crm_analysis::{AnalyzeOutcome, analyze_interaction};
use crm_queue::runtime::{JobCtx, JobError};
use serde::Serialize;
use shared::jobs::payloads::intel::AnalyzeEmail;

/// The analysis, and where routing put the email.
#[derive(Debug, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub analysis: AnalyzeOutcome,
    pub routing: Routed,
}

/// Handler of `intel.analyze_email`, with the process's analyser (built at boot): analyse, then route.
pub async fn analyze_email(
    ctx: JobCtx,
    job: AnalyzeEmail,
    analyzer: Arc<llm::Analyzer>,
) -> Result<Outcome, JobError> {
    let id = job.interaction_id.0;
    let analysis = analyze_interaction(&ctx.app.db, &analyzer, id).await?;
    let routing = route_email(&ctx.app.db, id, ctx.app.config.routing_default_user)
        .await
        .map_err(|e| JobError::db(e, "routing the email"))?;
    Ok(Outcome { analysis, routing })
}
