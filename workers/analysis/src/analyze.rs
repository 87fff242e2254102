//! The analysis of one stored email (the work of `intel.analyze_email`): the built-in analyser, or the
//! LLM cascade with its cache when providers are configured; the result replaces any earlier one.

use std::time::Instant;

use anyhow::anyhow;
use mail_builder::MessageBuilder;
use serde::Serialize;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::interaction::{self, Interaction, InteractionId};
use shared::models::interaction_analysis::{self as analyses, CacheStatus, NewInteractionAnalysis};

use crm_queue::JobError;

/// Result of `intel.analyze_email` (no content: label, source and timings only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalyzeOutcome {
    pub interaction_id: i64,
    pub intent: String,
    pub confidence: f32,
    pub source: String,
    pub cache: CacheStatus,
    pub signature_found: bool,
    /// The body was purged by retention: only the subject and sender were analysed.
    pub body_purged: bool,
    pub duration_ms: i32,
    pub analyzer_version: String,
}

/// A stored email as a MIME message for the LLM cascade (which reads raw messages): the stored sender,
/// subject and text body.
fn as_message(i: &Interaction) -> Vec<u8> {
    let mut message = MessageBuilder::new();
    if let Some(addr) = i.from_address.as_deref() {
        let name = i.from_name.as_deref().map(str::trim).unwrap_or_default();
        message = message.from((name, addr));
    }
    if let Some(subject) = i.subject.as_deref() {
        message = message.subject(subject);
    }
    message
        .text_body(i.body_text.as_deref().unwrap_or_default())
        .write_to_vec()
        .unwrap_or_default()
}

fn builtin(i: &Interaction) -> intel::Analysis {
    intel::analyze_input(&intel::MessageInput {
        subject: i.subject.as_deref().unwrap_or_default(),
        body: i.body_text.as_deref().unwrap_or_default(),
        headers: intel::HeaderEvidence::default(),
        sender: intel::SenderHints {
            name: i.from_name.clone(),
            email: i.from_address.clone(),
        },
    })
}

fn cache_status(c: &llm::CacheStatus) -> CacheStatus {
    match c {
        llm::CacheStatus::Disabled => CacheStatus::Disabled,
        llm::CacheStatus::Hit => CacheStatus::Hit,
        llm::CacheStatus::Miss => CacheStatus::Miss,
        llm::CacheStatus::Unavailable => CacheStatus::Unavailable,
    }
}

fn signature_found(s: &intel::Signature) -> bool {
    s.name.is_some()
        || s.title.is_some()
        || s.company.is_some()
        || !s.phones.is_empty()
        || !s.emails.is_empty()
        || !s.urls.is_empty()
        || s.linkedin.is_some()
        || s.address.is_some()
}

/// Analyses the stored email `id` and stores the result (replacing an earlier one). A missing email
/// is a permanent error; a purged body leaves the subject and sender to analyse.
pub async fn analyze_interaction(
    pool: &PgPool,
    analyzer: &llm::Analyzer,
    id: i64,
) -> Result<AnalyzeOutcome, JobError> {
    let interaction = run_blocking(pool, move |conn| interaction::find(conn, InteractionId(id)))
        .await
        .map_err(|e| JobError::db(e, "loading the interaction"))?
        .ok_or_else(|| JobError::permanent(anyhow!("interaction {id} not found")))?;
    let body_purged = interaction.body_text.is_none();

    let started = Instant::now();
    let (analysis, cache) = if analyzer.config().providers.is_empty() {
        let analysis = tokio::task::spawn_blocking(move || builtin(&interaction))
            .await
            .map_err(|e| JobError::permanent(anyhow!("the analyser failed: {e}")))?;
        (analysis, CacheStatus::Disabled)
    } else {
        let report = analyzer
            .analyze_message_report(&as_message(&interaction))
            .await;
        let cache = cache_status(&report.cache);
        (report.analysis, cache)
    };
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);

    let source = match &analysis.intent.source {
        intel::Source::Rules => "rules".to_owned(),
        intel::Source::Provider(p) => p.clone(),
    };
    let row = NewInteractionAnalysis {
        interaction_id: InteractionId(id),
        analyzer_version: analysis.analyzer.clone(),
        source: source.clone(),
        language: analysis.language.as_str().to_owned(),
        intent_label: analysis.intent.label.as_str().to_owned(),
        intent_confidence: analysis.intent.confidence as f32,
        signature: serde_json::to_value(&analysis.signature)
            .map_err(|e| JobError::permanent(anyhow!("serialising the signature: {e}")))?,
        signature_found: signature_found(&analysis.signature),
        entities: serde_json::to_value(&analysis.entities)
            .map_err(|e| JobError::permanent(anyhow!("serialising the entities: {e}")))?,
        keywords: serde_json::to_value(&analysis.keywords)
            .map_err(|e| JobError::permanent(anyhow!("serialising the keywords: {e}")))?,
        duration_ms,
        cache,
    };
    let outcome = AnalyzeOutcome {
        interaction_id: id,
        intent: row.intent_label.clone(),
        confidence: row.intent_confidence,
        source,
        cache,
        signature_found: row.signature_found,
        body_purged,
        duration_ms,
        analyzer_version: row.analyzer_version.clone(),
    };
    run_blocking(pool, move |conn| analyses::upsert(conn, &row))
        .await
        .map_err(|e| match e {
            // deleted while being analysed
            DbError::ForeignKeyViolation { .. } => {
                JobError::permanent(anyhow!("interaction {id} was deleted"))
            }
            other => JobError::db(other, "storing the analysis"),
        })?;
    tracing::debug!(
        interaction.id = id,
        intent = %outcome.intent,
        source = %outcome.source,
        duration_ms,
        "email analysed"
    );
    Ok(outcome)
}
