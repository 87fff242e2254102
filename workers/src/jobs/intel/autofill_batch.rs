//! `intel.autofill_batch`: suggestions from analysed emails; with `AUTOFILL_USE_WEB_ENRICHMENT`, web
//! enrichment of the organisations it matched that miss fields.

use crm_autofill::{BatchOptions, BatchOutcome, run_batch};
use crm_queue::EnqueueOptions;
use crm_queue::runtime::{JobCtx, JobError};
use serde::Serialize;
use shared::jobs::payloads::autofill::{AutofillBatch, EnrichOrganisation};
use shared::models::OrganisationId;

/// The batch's result: its counts and the enrichment jobs it enqueued.
#[derive(Debug, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub batch: BatchOutcome,
    pub enrichment_jobs: usize,
}

/// Handler of `intel.autofill_batch`.
pub async fn autofill_batch(ctx: JobCtx, job: AutofillBatch) -> Result<Outcome, JobError> {
    let config = &ctx.app.config.autofill;
    let opts = BatchOptions {
        limit: job.limit.unwrap_or(config.batch_max) as usize,
        account_id: job.account_id.map(|a| a.0),
        auto_apply: config.auto_apply,
    };
    let batch = run_batch(&ctx.app.db, &opts, &ctx)
        .await
        .map_err(|e| JobError::db(e, "running the autofill batch"))?;
    let mut enrichment_jobs = 0;
    if config.use_web_enrichment && config.serpapi_key.is_some() {
        let jobs: Vec<EnrichOrganisation> = batch
            .organisations_to_enrich
            .iter()
            .map(|id| EnrichOrganisation {
                organisation_id: OrganisationId(*id),
            })
            .collect();
        // Enqueued as the batch's own actor; each job's idempotency key keeps one per organisation.
        let enqueued = ctx
            .queue()
            .enqueue_bulk(
                &jobs,
                EnqueueOptions {
                    actor: ctx.actor,
                    ..EnqueueOptions::default()
                },
            )
            .await
            .map_err(|e| {
                JobError::transient(anyhow::Error::new(e).context("enqueueing enrichment"))
            })?;
        enrichment_jobs = enqueued.iter().filter(|e| !e.duplicate).count();
    }
    tracing::info!(
        emails = batch.emails,
        suggestions = batch.suggestions,
        auto_applied = batch.auto_applied,
        enrichment_jobs,
        "autofill batch done"
    );
    Ok(Outcome {
        batch,
        enrichment_jobs,
    })
}
