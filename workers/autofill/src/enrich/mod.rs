//! Web enrichment of one organisation (`enrich.organisation`): a Google search through SerpAPI, its
//! knowledge graph read into fields with a confidence, those under the minimum dropped, the rest stored
//! as suggestions like any other (auto-applied when sure and the field is free). A missing or partial
//! knowledge graph is normal: the search is tried once more with the city or country.

pub mod cache;
pub mod knowledge;
pub mod serpapi;

use diesel::Connection;
use serde::Serialize;
use serde_json::json;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::OrganisationId;
use shared::models::autofill_suggestion::{
    self as suggestions, EntityType, NewSuggestion, SuggestionAction, SuggestionStatus,
};
use shared::models::organisation::find_organisation;

use crate::apply::{Applied, Applier, apply};
use crate::{domain, evidence, fields};
use knowledge::Knowledge;
use serpapi::{SearchError, SerpApi};

/// The analyser version recorded on web suggestions (what read the answer).
pub const READER_VERSION: &str = "serpapi-knowledge-graph-1";

/// What enrichment needs.
pub struct Enricher<'a> {
    pub pool: &'a PgPool,
    pub redis: shared::redis_conn::RedisConn,
    pub namespace: &'a str,
    pub serpapi: &'a SerpApi,
    pub cache_days: u32,
    pub min_confidence: f64,
    pub auto_apply: f64,
}

/// What one enrichment did (no personal data: counts and field names).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EnrichOutcome {
    pub organisation_id: i64,
    /// Searches sent to SerpAPI (cache misses).
    pub searches: u32,
    pub cache_hits: u32,
    /// A knowledge graph was found.
    pub found: bool,
    pub fields_found: Vec<String>,
    /// Fields under `AUTOFILL_WEB_MIN_CONFIDENCE`.
    pub dropped_low_confidence: u32,
    pub suggestions: usize,
    pub auto_applied: usize,
}

/// Why enrichment failed.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("organisation {0} not found")]
    NotFound(i64),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Enricher<'_> {
    /// The knowledge graph for `query`: from our cache, else from SerpAPI (then cached, absence included).
    async fn lookup(
        &self,
        query: &str,
        out: &mut EnrichOutcome,
    ) -> Result<Option<Knowledge>, SearchError> {
        let key = cache::key(self.namespace, query);
        let mut conn = self.redis.clone();
        if let Some(hit) = cache::get(&mut conn, &key).await {
            out.cache_hits += 1;
            return Ok(hit.knowledge);
        }
        out.searches += 1;
        let answer = self.serpapi.search(query).await?;
        let knowledge = Knowledge::from_answer(&answer);
        let value = cache::Cached {
            knowledge: knowledge.clone(),
        };
        cache::put(&mut conn, &key, &value, self.cache_days).await;
        Ok(knowledge)
    }

    /// Enriches organisation `id`.
    pub async fn enrich(&self, id: i64) -> Result<EnrichOutcome, EnrichError> {
        let org = run_blocking(self.pool, move |conn| {
            find_organisation(conn, OrganisationId(id))
        })
        .await?
        .ok_or(EnrichError::NotFound(id))?;
        let mut out = EnrichOutcome {
            organisation_id: id,
            ..EnrichOutcome::default()
        };
        let name = org.name.trim().to_owned();
        let mut found = self.lookup(&name, &mut out).await?;
        if found.as_ref().is_none_or(Knowledge::is_partial) {
            let place = org
                .city
                .as_deref()
                .or(org.country.as_deref())
                .map(str::trim)
                .filter(|p| !p.is_empty());
            if let Some(place) = place {
                let second = self.lookup(&format!("{name} {place}"), &mut out).await?;
                if second.as_ref().is_some_and(|k| !k.is_partial()) || found.is_none() {
                    found = second.or(found);
                }
            }
        }
        let Some(k) = found else {
            return Ok(out);
        };
        out.found = true;
        let known_domain = org
            .website
            .as_deref()
            .and_then(domain::of_website)
            .or_else(|| org.email.as_deref().and_then(domain::of_address))
            .filter(|d| !evidence::is_free_mail(d));
        let proposed = knowledge::propose(&k, &name, known_domain.as_deref());
        let current = |f: fields::Field| match f {
            fields::Field::OrgWebsite => org.website.as_deref(),
            fields::Field::OrgPhone => org.phone.as_deref(),
            fields::Field::OrgAddress => org.address.as_deref(),
            fields::Field::OrgLinkedin => org.linkedin.as_deref(),
            _ => None,
        };
        let mut rows = Vec::new();
        for p in proposed {
            out.fields_found.push(p.field.name().to_owned());
            if p.confidence < self.min_confidence {
                out.dropped_low_confidence += 1;
                continue;
            }
            let now = current(p.field).filter(|v| !v.trim().is_empty());
            if now.is_some_and(|c| fields::same_value(p.field, c, &p.value)) {
                continue;
            }
            rows.push(NewSuggestion {
                entity_type: EntityType::Organisation,
                entity_id: Some(id),
                action: SuggestionAction::SetField,
                field: p.field.name().to_owned(),
                value: json!(p.value),
                current_value: now.map(str::to_owned),
                confidence: ((p.confidence * 1000.0).round() / 1000.0) as f32,
                source: "web".to_owned(),
                evidence: json!({
                    "field_source": p.source,
                    "knowledge_graph_title": k.title,
                }),
                interaction_id: None,
                analyzer_version: READER_VERSION.to_owned(),
                owner_user_id: org.owner_id,
                dedupe_key: format!(
                    "organisation:{id}:{}:{}",
                    p.field.name(),
                    fields::normalise(p.field, &p.value)
                ),
            });
        }
        let auto_apply = self.auto_apply;
        let (stored, applied) = run_blocking(self.pool, move |conn| {
            conn.transaction(|conn| {
                crate::apply::take_turn(conn)?;
                let stored = suggestions::insert_new(conn, &rows)?;
                let mut applied = 0;
                for s in stored
                    .iter()
                    .filter(|s| f64::from(s.confidence) >= auto_apply)
                {
                    let r = conn.transaction(|conn| apply(conn, s, &s.value, Applier::Auto));
                    match r {
                        Ok(Applied::Done { .. }) => {
                            suggestions::decide(
                                conn,
                                s.id,
                                SuggestionStatus::AutoApplied,
                                None,
                                None,
                            )?;
                            applied += 1;
                        }
                        Ok(Applied::NeedsReview(_)) => {}
                        Err(crate::apply::ApplyError::Db(e)) => return Err(e),
                        Err(_) => suggestions::decide(
                            conn,
                            s.id,
                            SuggestionStatus::Superseded,
                            None,
                            None,
                        )?,
                    }
                }
                Ok((stored.len(), applied))
            })
        })
        .await?;
        out.suggestions = stored;
        out.auto_applied = applied;
        Ok(out)
    }
}
