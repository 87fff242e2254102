//! `notify.email_digest`: the daily digest of notifications users chose to receive by email.

use std::sync::Arc;

use crm_mailer::{Mailer, SmtpConfig};
use crm_queue::runtime::{JobCtx, JobError};
use shared::jobs::payloads::notify::EmailDigest;

/// What the mail jobs need: the SMTP settings and the base of the links they carry.
pub struct MailOut {
    pub smtp: SmtpConfig,
    /// `NOTIFY_LINK_BASE_URL`: the CRM's address, prefixed to notification links (none: no links).
    pub link_base: Option<String>,
}

/// Handler of `notify.email_digest`. The relay is resolved anew at each run (through the egress policy).
pub async fn email_digest(
    ctx: JobCtx,
    _job: EmailDigest,
    out: Option<Arc<MailOut>>,
) -> Result<serde_json::Value, JobError> {
    let Some(out) = out else {
        return Ok(serde_json::json!({ "skipped": "SMTP_URL is not set" }));
    };
    let mailer = Mailer::connect(&out.smtp, &ctx.app.config.common.egress)
        .await
        .map_err(|e| {
            let refused = e.is_egress_refusal();
            let e = anyhow::Error::new(e);
            if refused {
                JobError::permanent(e)
            } else {
                JobError::transient(e)
            }
        })?;
    let (report, error) =
        crm_mailer::digest::send_all(&ctx.app.db, &mailer, out.link_base.as_deref())
            .await
            .map_err(|e| JobError::db(e, "reading pending digests"))?;
    match error {
        // The relay was unreachable or said "try later": the retry sends what is left.
        Some(e) if !e.is_permanent() => Err(JobError::transient(
            anyhow::Error::new(e).context(format!("{} digest(s) not sent", report.failed)),
        )),
        _ => Ok(serde_json::to_value(report).unwrap_or_default()),
    }
}
