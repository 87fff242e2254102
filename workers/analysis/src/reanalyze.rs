//! Re-analysis of stored emails (the work of `intel.reanalyze`): select, then enqueue in bulk.

use crm_queue::{EnqueueOptions, JobError, JobQueue};
use serde::Serialize;
use shared::db::{PgPool, run_blocking};
use shared::jobs::payloads::intel::{AnalyzeEmail, Reanalyze};
use shared::models::interaction::InteractionId;
use shared::models::interaction_analysis::{self as analyses, Selection};

use shared::progress::ReportProgress;

/// Ids read per query while selecting.
const PAGE: i64 = 10_000;
/// Jobs per `enqueue_bulk` call (and progress report).
const CHUNK: usize = 500;

/// Result of `intel.reanalyze`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReanalyzeOutcome {
    pub selected: usize,
    pub enqueued: usize,
}

/// Selects the emails first (so the results written meanwhile do not move the selection), then enqueues
/// one `intel.analyze_email` per email in bulk, reporting progress.
pub async fn reanalyze(
    pool: &PgPool,
    queue: &JobQueue,
    job: &Reanalyze,
    progress: &dyn ReportProgress,
) -> Result<ReanalyzeOutcome, JobError> {
    if let (Some(from), Some(to)) = (job.from, job.to)
        && from >= to
    {
        return Err(JobError::permanent(anyhow::anyhow!(
            "`from` must be before `to`"
        )));
    }
    let sel = Selection {
        account_id: job.account_id,
        from: job.from,
        to: job.to,
        analyzer_version_not: job.analyzer_version_not.clone(),
    };
    progress.report(0, "selecting emails").await;
    let mut ids: Vec<InteractionId> = Vec::new();
    loop {
        let after = ids.last().copied().unwrap_or(InteractionId(0));
        let sel = sel.clone();
        let page = run_blocking(pool, move |conn| {
            analyses::select_ids(conn, &sel, after, PAGE)
        })
        .await
        .map_err(|e| JobError::transient(anyhow::Error::new(e).context("selecting emails")))?;
        let done = page.len() < usize::try_from(PAGE).unwrap_or(usize::MAX);
        ids.extend(page);
        if done {
            break;
        }
    }
    let mut outcome = ReanalyzeOutcome {
        selected: ids.len(),
        enqueued: 0,
    };
    for chunk in ids.chunks(CHUNK) {
        let jobs: Vec<AnalyzeEmail> = chunk
            .iter()
            .map(|id| AnalyzeEmail {
                interaction_id: *id,
            })
            .collect();
        let done = queue
            .enqueue_bulk(&jobs, EnqueueOptions::default())
            .await
            .map_err(|e| JobError::transient(anyhow::Error::new(e).context("enqueueing")))?;
        outcome.enqueued += done.len();
        let percent = u8::try_from(outcome.enqueued * 100 / outcome.selected.max(1)).unwrap_or(100);
        progress
            .report(
                percent,
                &format!("{} of {} enqueued", outcome.enqueued, outcome.selected),
            )
            .await;
    }
    progress.report(100, "done").await;
    tracing::info!(
        selected = outcome.selected,
        enqueued = outcome.enqueued,
        "re-analysis enqueued"
    );
    Ok(outcome)
}
