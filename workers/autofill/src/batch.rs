//! One autofill batch (`intel.autofill_batch`): read analysed emails not read yet, propose, store the new
//! suggestions, apply the sure ones. Emails are claimed in chunks with `FOR UPDATE SKIP LOCKED`, each chunk
//! one transaction: two batches running at once read disjoint emails, a crash rolls its chunk back for the
//! next batch, and the suggestions' dedupe keys make any overlap harmless. Writing takes turns
//! ([`crate::apply::take_turn`]).

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text};
use serde::Serialize;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::UserId;
use shared::models::autofill_suggestion::{
    self as suggestions, SuggestionAction, SuggestionStatus,
};
use shared::progress::ReportProgress;

use crate::apply::{Applied, Applier, apply};
use crate::evidence::{self, EmailFacts};
use crate::propose::{self, Email, KnownOrg, KnownPerson, Orgs};

/// Emails claimed per transaction.
const CHUNK: usize = 50;

/// What a batch reads and how sure a suggestion must be to apply itself.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub limit: usize,
    pub account_id: Option<i64>,
    pub auto_apply: f64,
}

/// What a batch did (counts only: the job record holds no personal data).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchOutcome {
    pub emails: usize,
    /// Emails not used as evidence, by reason.
    pub skipped: BTreeMap<String, usize>,
    pub suggestions: usize,
    pub auto_applied: usize,
    /// Proposals already made from earlier evidence (not stored twice).
    pub duplicates: usize,
    /// Emails whose signature told nothing the CRM does not hold already.
    pub nothing_new: usize,
    /// Matched organisations missing a website, address or phone (for web enrichment).
    #[serde(skip)]
    pub organisations_to_enrich: Vec<i64>,
    #[serde(skip)]
    matched: std::collections::BTreeSet<i64>,
}

/// The organisation a proposal matched, if any.
fn matched_org(s: &shared::models::autofill_suggestion::NewSuggestion) -> Option<i64> {
    use shared::models::autofill_suggestion::EntityType;
    match s.action {
        SuggestionAction::LinkOrganisation => s.value["organisation_id"].as_i64(),
        SuggestionAction::CreatePerson => s.value["organisation"]["organisation_id"].as_i64(),
        SuggestionAction::SetField if s.entity_type == EntityType::Organisation => s.entity_id,
        SuggestionAction::SetField => None,
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    interaction_id: i64,
    #[diesel(sql_type = Text)]
    direction: String,
    #[diesel(sql_type = Nullable<Text>)]
    automated: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    from_address: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    from_name: Option<String>,
    #[diesel(sql_type = Jsonb)]
    signature: serde_json::Value,
    #[diesel(sql_type = Text)]
    analyzer_version: String,
    #[diesel(sql_type = Text)]
    intent_label: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    owner_user_id: Option<i64>,
}

#[derive(QueryableByName)]
struct PersonRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    phone: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    mobile: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    linkedin: Option<String>,
    #[diesel(sql_type = Array<BigInt>)]
    organisation_ids: Vec<i64>,
}

#[derive(QueryableByName)]
struct OrgRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    website: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    address: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    phone: Option<String>,
}

/// Every organisation, as matching needs it (a CRM of this kind holds thousands, not millions).
fn load_orgs(conn: &mut PgConnection) -> Result<(Orgs, Vec<i64>), DbError> {
    let rows: Vec<OrgRow> = diesel::sql_query(
        "SELECT id, name, website, email, address, phone FROM organisations ORDER BY id",
    )
    .load(conn)?;
    let incomplete = rows
        .iter()
        .filter(|o| o.website.is_none() || o.address.is_none() || o.phone.is_none())
        .map(|o| o.id)
        .collect();
    let list = rows
        .into_iter()
        .map(|o| KnownOrg {
            id: o.id,
            name: o.name,
            website: o.website,
            email: o.email,
            address: o.address,
        })
        .collect();
    Ok((Orgs::new(list), incomplete))
}

fn load_people(
    conn: &mut PgConnection,
    addresses: &[String],
) -> Result<HashMap<String, KnownPerson>, DbError> {
    let rows: Vec<PersonRow> = diesel::sql_query(
        "SELECT p.id, lower(p.email) AS email, p.title, p.phone, p.mobile, p.linkedin, \
         ARRAY(SELECT l.organisation_id FROM person_organisation_links l WHERE l.person_id = p.id) \
         AS organisation_ids FROM people p WHERE lower(p.email) = ANY($1)",
    )
    .bind::<Array<Text>, _>(addresses)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.email,
                KnownPerson {
                    id: r.id,
                    title: r.title,
                    phone: r.phone,
                    mobile: r.mobile,
                    linkedin: r.linkedin,
                    organisation_ids: r.organisation_ids,
                },
            )
        })
        .collect())
}

/// True when the signature holds something a record could take.
fn has_content(s: &intel::Signature) -> bool {
    s.name.is_some()
        || s.title.is_some()
        || s.company.is_some()
        || !s.phones.is_empty()
        || s.linkedin.is_some()
        || s.address.is_some()
}

fn skip(out: &mut BatchOutcome, reason: evidence::SkipReason) {
    let key = serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    *out.skipped.entry(key).or_default() += 1;
}

/// Claims up to `n` unread analyses and processes them in one transaction; the number claimed.
fn chunk(
    conn: &mut PgConnection,
    opts: &BatchOptions,
    orgs: &Orgs,
    n: usize,
    out: &mut BatchOutcome,
) -> Result<usize, DbError> {
    conn.transaction(|conn| {
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT a.interaction_id, i.direction, i.automated, i.from_address, i.from_name, a.signature, \
             a.analyzer_version, a.intent_label, ea.owner_user_id \
             FROM interaction_analyses a JOIN interactions i ON i.id = a.interaction_id \
             LEFT JOIN email_accounts ea ON ea.id = i.account_id \
             WHERE a.autofilled_at IS NULL AND ($1::bigint IS NULL OR i.account_id = $1) \
             ORDER BY a.analyzed_at, a.interaction_id LIMIT $2 FOR UPDATE OF a SKIP LOCKED",
        )
        .bind::<Nullable<BigInt>, _>(opts.account_id)
        .bind::<BigInt, _>(i64::try_from(n).unwrap_or(i64::MAX))
        .load(conn)?;
        // Proposing and applying take turns between batches (and enrichment): two writers inserting the
        // same dedupe keys and locking the same people in different orders would deadlock. Claimed rows stay
        // disjoint; people are read after the turn starts, so a person another batch just created is seen.
        crate::apply::take_turn(conn)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.interaction_id).collect();
        let addresses: Vec<String> = rows
            .iter()
            .filter_map(|r| r.from_address.as_deref().map(str::to_lowercase))
            .collect();
        let mut people = load_people(conn, &addresses)?;
        for row in &rows {
            out.emails += 1;
            let facts = EmailFacts {
                inbound: row.direction == "inbound",
                automated: row.automated.as_deref(),
                from_address: row.from_address.as_deref(),
                intent: &row.intent_label,
            };
            if let Some(reason) = evidence::skip_reason(&facts) {
                skip(out, reason);
                continue;
            }
            let Ok(signature) = serde_json::from_value::<intel::Signature>(row.signature.clone())
            else {
                skip(out, evidence::SkipReason::NoSignature);
                continue;
            };
            let from = row.from_address.as_deref().unwrap_or_default().to_lowercase();
            let email = Email {
                interaction_id: row.interaction_id,
                from_address: &from,
                from_name: row.from_name.as_deref(),
                signature: &signature,
                analyzer_version: &row.analyzer_version,
                owner: row.owner_user_id.map(UserId),
            };
            if !has_content(&signature) {
                skip(out, evidence::SkipReason::NoSignature);
                continue;
            }
            let proposals = propose::propose(&email, people.get(&from), orgs);
            if proposals.is_empty() {
                out.nothing_new += 1;
                continue;
            }
            out.matched.extend(proposals.iter().filter_map(matched_org));
            let proposed = proposals.len();
            let stored = suggestions::insert_new(conn, &proposals)?;
            out.duplicates += proposed - stored.len();
            out.suggestions += stored.len();
            for s in stored {
                if f64::from(s.confidence) < opts.auto_apply {
                    continue;
                }
                // A savepoint per suggestion: one that cannot apply leaves the others and the chunk intact.
                let applied = conn.transaction(|conn| apply(conn, &s, &s.value, Applier::Auto));
                match applied {
                    Ok(Applied::Done { entity_id, .. }) => {
                        suggestions::decide(conn, s.id, SuggestionStatus::AutoApplied, None, None)?;
                        out.auto_applied += 1;
                        if s.action == SuggestionAction::CreatePerson {
                            let known = KnownPerson {
                                id: entity_id,
                                ..KnownPerson::default()
                            };
                            people.insert(from.clone(), known);
                        }
                    }
                    Ok(Applied::NeedsReview(_)) => {}
                    Err(crate::apply::ApplyError::Db(e)) => return Err(e),
                    Err(_) => {
                        suggestions::decide(conn, s.id, SuggestionStatus::Superseded, None, None)?;
                    }
                }
            }
        }
        diesel::sql_query(
            "UPDATE interaction_analyses SET autofilled_at = now() WHERE interaction_id = ANY($1)",
        )
        .bind::<Array<BigInt>, _>(&ids)
        .execute(conn)?;
        Ok(rows.len())
    })
}

/// Runs one batch of at most `opts.limit` emails.
pub async fn run_batch(
    pool: &PgPool,
    opts: &BatchOptions,
    progress: &dyn ReportProgress,
) -> Result<BatchOutcome, DbError> {
    let (orgs, incomplete) = run_blocking(pool, load_orgs).await?;
    let orgs = std::sync::Arc::new(orgs);
    let mut out = BatchOutcome::default();
    let mut done = 0;
    while done < opts.limit {
        let n = CHUNK.min(opts.limit - done);
        let (o, mut part) = (orgs.clone(), BatchOutcome::default());
        let opts2 = opts.clone();
        let (claimed, part) = run_blocking(pool, move |conn| {
            let claimed = chunk(conn, &opts2, &o, n, &mut part)?;
            Ok((claimed, part))
        })
        .await?;
        merge(&mut out, part);
        done += claimed;
        let percent = u8::try_from(done * 100 / opts.limit.max(1)).unwrap_or(100);
        progress
            .report(percent.min(99), &format!("{done} emails read"))
            .await;
        if claimed < n {
            break;
        }
    }
    out.organisations_to_enrich = incomplete
        .into_iter()
        .filter(|id| out.matched.contains(id))
        .collect();
    Ok(out)
}

fn merge(into: &mut BatchOutcome, part: BatchOutcome) {
    into.emails += part.emails;
    into.suggestions += part.suggestions;
    into.auto_applied += part.auto_applied;
    into.duplicates += part.duplicates;
    into.nothing_new += part.nothing_new;
    into.matched.extend(part.matched);
    for (k, v) in part.skipped {
        *into.skipped.entry(k).or_default() += v;
    }
}
