//! Email-intelligence results: one row per stored email (`intel.analyze_email`). Writing is an upsert, so
//! re-running the analysis replaces the previous result.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz};

use super::email_account::EmailAccountId;
use super::interaction::{Direction, InteractionId};
use crate::db::DbError;
use crate::schema::{interaction_analyses, interactions};

text_enum! {
    /// LLM cache status of one analysis.
    pub enum CacheStatus ("cache status") {
        /// No provider configured, or no Redis: nothing was looked up.
        Disabled => "disabled",
        Hit => "hit",
        Miss => "miss",
        /// Redis failed or was too slow; the analysis went on without it.
        Unavailable => "unavailable",
    }
}

/// A row of `interaction_analyses`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = interaction_analyses, primary_key(interaction_id), check_for_backend(diesel::pg::Pg))]
pub struct InteractionAnalysis {
    pub interaction_id: InteractionId,
    pub analyzer_version: String,
    pub source: String,
    pub language: String,
    pub intent_label: String,
    pub intent_confidence: f32,
    pub signature: serde_json::Value,
    pub signature_found: bool,
    pub entities: serde_json::Value,
    pub keywords: serde_json::Value,
    pub duration_ms: i32,
    pub cache: CacheStatus,
    pub analyzed_at: DateTime<Utc>,
}

/// Insert form of [`InteractionAnalysis`] (`analyzed_at` is set by [`upsert`]).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = interaction_analyses)]
pub struct NewInteractionAnalysis {
    pub interaction_id: InteractionId,
    pub analyzer_version: String,
    pub source: String,
    pub language: String,
    pub intent_label: String,
    pub intent_confidence: f32,
    pub signature: serde_json::Value,
    pub signature_found: bool,
    pub entities: serde_json::Value,
    pub keywords: serde_json::Value,
    pub duration_ms: i32,
    pub cache: CacheStatus,
}

/// Stores the result of an interaction, replacing an earlier one; a new result is read again by autofill
/// (its suggestions' dedupe keys keep what was already proposed from being proposed twice).
pub fn upsert(conn: &mut PgConnection, row: &NewInteractionAnalysis) -> Result<(), DbError> {
    diesel::insert_into(interaction_analyses::table)
        .values((row, interaction_analyses::analyzed_at.eq(diesel::dsl::now)))
        .on_conflict(interaction_analyses::interaction_id)
        .do_update()
        .set((
            row,
            interaction_analyses::analyzed_at.eq(diesel::dsl::now),
            interaction_analyses::autofilled_at.eq(None::<chrono::DateTime<chrono::Utc>>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The result of an interaction, if it was analysed.
pub fn find(
    conn: &mut PgConnection,
    id: InteractionId,
) -> Result<Option<InteractionAnalysis>, DbError> {
    Ok(interaction_analyses::table
        .find(id)
        .select(InteractionAnalysis::as_select())
        .first(conn)
        .optional()?)
}

/// Which stored emails a re-analysis covers: inbound ones, optionally of one account, sent in
/// `[from, to)`, and whose result is missing or of another analyser version.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub account_id: Option<EmailAccountId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub analyzer_version_not: Option<String>,
}

/// Ids of the selected interactions above `after`, ascending, at most `limit` (keyset pages).
pub fn select_ids(
    conn: &mut PgConnection,
    sel: &Selection,
    after: InteractionId,
    limit: i64,
) -> Result<Vec<InteractionId>, DbError> {
    let mut q = interactions::table
        .left_join(interaction_analyses::table)
        .filter(interactions::direction.eq(Direction::Inbound))
        .filter(interactions::id.gt(after))
        .select(interactions::id)
        .order(interactions::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(account) = sel.account_id {
        q = q.filter(interactions::account_id.eq(account));
    }
    if let Some(from) = sel.from {
        q = q.filter(interactions::sent_at.ge(from));
    }
    if let Some(to) = sel.to {
        q = q.filter(interactions::sent_at.lt(to));
    }
    if let Some(version) = sel.analyzer_version_not.clone() {
        q = q.filter(
            interaction_analyses::analyzer_version
                .is_null()
                .or(interaction_analyses::analyzer_version.ne(version)),
        );
    }
    Ok(q.load(conn)?)
}

/// Width of the volume buckets of [`stats`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }
}

/// Figures of a set of analyses (all of them, or those of one source).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub analyses: i64,
    /// Share of analyses where at least one signature field was found (null without analyses).
    pub signature_success_rate: Option<f64>,
    pub avg_duration_ms: Option<f64>,
    pub p95_duration_ms: Option<f64>,
    /// LLM cache hits and misses recorded with the analyses (`cache` column).
    pub cache_hits: i64,
    pub cache_misses: i64,
    /// hits / (hits + misses); null when no analysis looked the cache up.
    pub cache_hit_rate: Option<f64>,
}

/// Number of analyses with an intent label.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct IntentCount {
    pub label: String,
    pub count: i64,
}

/// Number of analyses in one time bucket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct VolumePoint {
    pub bucket_start: DateTime<Utc>,
    pub count: i64,
}

/// The figures of one source (`rules`, or `provider:model`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SourceStats {
    pub source: String,
    #[serde(flatten)]
    pub summary: Summary,
    pub intents: Vec<IntentCount>,
    pub volume: Vec<VolumePoint>,
}

/// Statistics of the analyses made in `[from, to)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub bucket: Bucket,
    #[serde(flatten)]
    pub summary: Summary,
    pub intents: Vec<IntentCount>,
    pub volume: Vec<VolumePoint>,
    pub per_source: Vec<SourceStats>,
}

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    sig: i64,
    #[diesel(sql_type = Nullable<Double>)]
    avg_ms: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    p95_ms: Option<f64>,
    #[diesel(sql_type = BigInt)]
    hits: i64,
    #[diesel(sql_type = BigInt)]
    misses: i64,
}

#[derive(QueryableByName)]
struct IntentRow {
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct VolumeRow {
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Timestamptz)]
    bucket_start: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `source = ''` in the rows of the summary query is the total over every source.
const SUMMARY_SQL: &str = "SELECT COALESCE(source, '') AS source, count(*) AS n, \
     count(*) FILTER (WHERE signature_found) AS sig, \
     avg(duration_ms)::float8 AS avg_ms, \
     percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p95_ms, \
     count(*) FILTER (WHERE cache = 'hit') AS hits, \
     count(*) FILTER (WHERE cache = 'miss') AS misses \
     FROM interaction_analyses WHERE analyzed_at >= $1 AND analyzed_at < $2 \
     GROUP BY GROUPING SETS ((source), ()) ORDER BY 1";

const INTENTS_SQL: &str = "SELECT source, intent_label AS label, count(*) AS n \
     FROM interaction_analyses WHERE analyzed_at >= $1 AND analyzed_at < $2 \
     GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2";

const VOLUME_SQL: &str = "SELECT source, \
     date_trunc($3, analyzed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket_start, count(*) AS n \
     FROM interaction_analyses WHERE analyzed_at >= $1 AND analyzed_at < $2 \
     GROUP BY 1, 2 ORDER BY 2, 1";

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn summary_of(r: &SummaryRow) -> Summary {
    Summary {
        analyses: r.n,
        signature_success_rate: ratio(r.sig, r.n),
        avg_duration_ms: r.avg_ms,
        p95_duration_ms: r.p95_ms,
        cache_hits: r.hits,
        cache_misses: r.misses,
        cache_hit_rate: ratio(r.hits, r.hits + r.misses),
    }
}

fn add_intent(list: &mut Vec<IntentCount>, label: &str, n: i64) {
    match list.iter_mut().find(|c| c.label == label) {
        Some(c) => c.count += n,
        None => list.push(IntentCount {
            label: label.to_owned(),
            count: n,
        }),
    }
}

fn add_volume(list: &mut Vec<VolumePoint>, at: DateTime<Utc>, n: i64) {
    match list.iter_mut().find(|p| p.bucket_start == at) {
        Some(p) => p.count += n,
        None => list.push(VolumePoint {
            bucket_start: at,
            count: n,
        }),
    }
}

/// Statistics of the analyses made in `[from, to)`, in total and per source.
pub fn stats(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: Bucket,
) -> Result<Stats, DbError> {
    let summaries: Vec<SummaryRow> = diesel::sql_query(SUMMARY_SQL)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)?;
    let intents: Vec<IntentRow> = diesel::sql_query(INTENTS_SQL)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)?;
    let volume: Vec<VolumeRow> = diesel::sql_query(VOLUME_SQL)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<Text, _>(bucket.as_str())
        .load(conn)?;

    let mut out = Stats {
        from,
        to,
        bucket,
        summary: Summary::default(),
        intents: Vec::new(),
        volume: Vec::new(),
        per_source: Vec::new(),
    };
    for r in &summaries {
        if r.source.is_empty() {
            out.summary = summary_of(r);
        } else {
            out.per_source.push(SourceStats {
                source: r.source.clone(),
                summary: summary_of(r),
                intents: Vec::new(),
                volume: Vec::new(),
            });
        }
    }
    for r in intents {
        add_intent(&mut out.intents, &r.label, r.n);
        if let Some(s) = out.per_source.iter_mut().find(|s| s.source == r.source) {
            add_intent(&mut s.intents, &r.label, r.n);
        }
    }
    out.intents
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    for r in volume {
        add_volume(&mut out.volume, r.bucket_start, r.n);
        if let Some(s) = out.per_source.iter_mut().find(|s| s.source == r.source) {
            add_volume(&mut s.volume, r.bucket_start, r.n);
        }
    }
    Ok(out)
}
