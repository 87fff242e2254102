//! `rgpd.anonymize_inactive`: users and contacts without activity for `RGPD_INACTIVE_DAYS` are
//! anonymised, `RGPD_ANONYMISE_BATCH` subjects at a time (each batch: ledger, access log, then set-based
//! statements of at most [`crate::CHUNK`] rows). Admin accounts are never anonymised automatically.
//!
//! Activity: for a user, the last sign-in (or the creation of a never-used account); for a contact, the
//! last change of their record and their last email (sent or received).

use chrono::{DateTime, Utc};
use crm_queue::JobError;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use serde::Serialize;
use shared::db::run_blocking;
use shared::jobs::Job;
use shared::jobs::payloads::rgpd::AnonymizeInactive;
use shared::models::erasure_ledger::ErasureReason;
use shared::models::rgpd_request::SubjectType;
use shared::progress::ReportProgress;

use crate::erase::EraseCounts;
use crate::forget::{Cause, forget_and_purge};
use crate::{RgpdEnv, cache};

/// What a sweep did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepOutcome {
    pub dry_run: bool,
    pub cutoff: Option<DateTime<Utc>>,
    pub users: usize,
    pub people: usize,
    pub rows: EraseCounts,
    pub cache: cache::Purged,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The next `limit` inactive subjects of `kind` with an id above `after`.
pub fn next_inactive(
    conn: &mut PgConnection,
    kind: SubjectType,
    cutoff: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let sql = match kind {
        SubjectType::User => {
            "SELECT id FROM users WHERE id > $1 AND role <> 'admin' AND anonymised_at IS NULL \
             AND COALESCE(last_login_at, created_at) < $2 ORDER BY id LIMIT $3"
        }
        SubjectType::Person => {
            "SELECT p.id FROM people p WHERE p.id > $1 AND p.anonymised_at IS NULL \
             AND p.updated_at < $2 AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.person_id = p.id \
             AND COALESCE(i.sent_at, i.created_at) >= $2) ORDER BY p.id LIMIT $3"
        }
    };
    Ok(diesel::sql_query(sql)
        .bind::<BigInt, _>(after)
        .bind::<Timestamptz, _>(cutoff)
        .bind::<BigInt, _>(limit)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Runs the sweep; `limit` caps the subjects of this run.
pub async fn sweep(
    env: &RgpdEnv,
    dry_run: bool,
    limit: Option<u32>,
    progress: &dyn ReportProgress,
) -> Result<SweepOutcome, JobError> {
    let cutoff = Utc::now() - chrono::Duration::days(i64::from(env.config.inactive_days));
    let batch = i64::from(env.config.anonymise_batch);
    let mut left = limit.map_or(usize::MAX, |l| l as usize);
    let mut out = SweepOutcome {
        dry_run,
        cutoff: Some(cutoff),
        ..SweepOutcome::default()
    };
    for (step, kind) in [SubjectType::User, SubjectType::Person]
        .into_iter()
        .enumerate()
    {
        let mut after = 0_i64;
        while left > 0 {
            let take = batch.min(i64::try_from(left).unwrap_or(i64::MAX));
            let ids = run_blocking(&env.pool, move |c| {
                Ok(next_inactive(c, kind, cutoff, after, take)?)
            })
            .await
            .map_err(|e| JobError::db(e, "finding inactive subjects"))?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            after = last;
            left = left.saturating_sub(ids.len());
            let n = ids.len();
            if !dry_run {
                let cause = Cause {
                    reason: ErasureReason::Inactive,
                    request_id: None,
                    actor: None,
                    job: AnonymizeInactive::NAME,
                };
                let (forgotten, purged) =
                    forget_and_purge(env, kind, ids, cause, "anonymising inactive subjects")
                        .await?;
                out.cache.keys += purged.keys;
                out.cache.fields += purged.fields;
                for (table, n) in forgotten.rows {
                    *out.rows.entry(table).or_default() += n;
                }
            }
            match kind {
                SubjectType::User => out.users += n,
                SubjectType::Person => out.people += n,
            }
            let done = out.users + out.people;
            let pct = if step == 0 { 10 } else { 50 };
            progress
                .report(pct, &format!("{done} subjects anonymised"))
                .await;
        }
    }
    tracing::info!(
        users = out.users,
        people = out.people,
        dry_run,
        "inactivity sweep done"
    );
    progress.report(100, "inactivity sweep done").await;
    Ok(out)
}
