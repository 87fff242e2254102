//! `rgpd.compliance_report`: the month's report, stored with its HTML and PDF.

use crm_queue::runtime::{JobCtx, JobError};
use crm_rgpd::RgpdEnv;
use serde_json::json;
use shared::jobs::payloads::rgpd::ComplianceReport;

/// Handler of `rgpd.compliance_report`.
pub async fn compliance_report(
    ctx: JobCtx,
    job: ComplianceReport,
    env: RgpdEnv,
) -> Result<serde_json::Value, JobError> {
    ctx.progress(10, "gathering the figures").await;
    let (id, figures) = crm_rgpd::report::run(&env, job.month).await?;
    ctx.progress(100, "report stored").await;
    Ok(json!({ "report_id": id, "figures": figures }))
}
