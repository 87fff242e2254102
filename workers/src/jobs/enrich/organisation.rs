//! `enrich.organisation`: SerpAPI knowledge graph → suggestions for one organisation.

use anyhow::anyhow;
use crm_autofill::enrich::serpapi::{SearchError, SerpApi};
use crm_autofill::enrich::{EnrichError, EnrichOutcome, Enricher};
use crm_queue::runtime::{JobCtx, JobError};
use shared::jobs::payloads::autofill::EnrichOrganisation;

/// Handler of `enrich.organisation` (started through the `serpapi` rate-limit bucket).
pub async fn organisation(ctx: JobCtx, job: EnrichOrganisation) -> Result<EnrichOutcome, JobError> {
    let config = &ctx.app.config.autofill;
    let key = config.serpapi_key.clone().ok_or_else(|| {
        JobError::permanent(anyhow!("SERPAPI_API_KEY is not set: web enrichment is off"))
    })?;
    let serpapi = SerpApi::new(&ctx.app.config.common.egress, &config.serpapi_base_url, key)
        .map_err(|e| {
            JobError::transient(anyhow::Error::new(e).context("building the SerpAPI client"))
        })?;
    let enricher = Enricher {
        pool: &ctx.app.db,
        redis: ctx.queue().connection(),
        namespace: ctx.queue().keys().ns(),
        serpapi: &serpapi,
        cache_days: config.cache_days,
        min_confidence: config.web_min_confidence,
        auto_apply: config.auto_apply,
    };
    match enricher.enrich(job.organisation_id.0).await {
        Ok(out) => {
            tracing::info!(
                searches = out.searches,
                cache_hits = out.cache_hits,
                suggestions = out.suggestions,
                auto_applied = out.auto_applied,
                "organisation enriched"
            );
            Ok(out)
        }
        Err(EnrichError::NotFound(id)) => {
            Err(JobError::permanent(anyhow!("organisation {id} not found")))
        }
        Err(EnrichError::Db(e)) => Err(JobError::db(e, "storing enrichment suggestions")),
        Err(EnrichError::Search(SearchError::RateLimited { retry_after })) => Err(
            JobError::throttled(anyhow!("SerpAPI answered 429"), retry_after),
        ),
        Err(EnrichError::Search(e)) if e.is_transient() => Err(JobError::transient(e)),
        Err(EnrichError::Search(e)) => Err(JobError::permanent(e)),
    }
}
