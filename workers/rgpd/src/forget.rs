//! One erasure end to end, the order the law and a crash both need: the ledger first (file and table),
//! then the access log entry, then the erasure itself. Shared by erasure requests and the inactivity sweep.

use chrono::Utc;
use diesel::PgConnection;
use shared::config::RgpdConfig;
use shared::models::UserId;
use shared::models::access_log::{self, AccessAction, EntityType, NewAccessLog};
use shared::models::erasure_ledger::{ErasureReason, LedgerEntry};
use shared::models::rgpd_request::SubjectType;

use anyhow::anyhow;
use crm_queue::JobError;
use shared::db::run_blocking;

use crate::cache::{self, Purged};
use crate::erase::{self, EraseCounts};
use crate::ledger::{self, LedgerError};
use crate::subject::{self, Identifiers};
use crate::{CHUNK, RgpdEnv};

/// Who and why.
#[derive(Debug, Clone, Copy)]
pub struct Cause<'a> {
    pub reason: ErasureReason,
    pub request_id: Option<i64>,
    /// The user who asked (an erasure request), `None` for the platform's sweep.
    pub actor: Option<UserId>,
    /// The job doing it, for the access log's route.
    pub job: &'a str,
}

/// What was erased: the subjects found, the rows changed, and the union of their identifiers (for the
/// cache purge that follows, outside the database).
#[derive(Debug, Clone, Default)]
pub struct Forgotten {
    pub subjects: Vec<i64>,
    pub rows: EraseCounts,
    pub identifiers: Identifiers,
}

/// Why an erasure did not run.
#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("erasing")]
    Db(#[from] shared::db::DbError),
}

/// Erases the existing subjects of `ids` of `kind`, writing the ledger and the access log first.
pub fn forget(
    conn: &mut PgConnection,
    cfg: &RgpdConfig,
    kind: SubjectType,
    ids: &[i64],
    cause: Cause<'_>,
    chunk: usize,
) -> Result<Forgotten, ForgetError> {
    let found = subject::of(conn, kind, ids)?;
    if found.is_empty() {
        return Ok(Forgotten::default());
    }
    let now = Utc::now();
    let mut identifiers = Identifiers::default();
    let mut entries = Vec::with_capacity(found.len());
    let mut logs = Vec::with_capacity(found.len());
    let entity = EntityType::from(kind);
    for (id, idents) in &found {
        identifiers.extend(idents);
        entries.push(LedgerEntry {
            subject_type: kind,
            subject_id: *id,
            identifier_hashes: idents.hashes(&cfg.hasher),
            reason: cause.reason,
            request_id: cause.request_id,
            erased_at: now,
        });
        let mut log = NewAccessLog::by_job(cause.job, AccessAction::Anonymise, entity, *id);
        log.user_id = cause.actor;
        logs.push(log);
    }
    ledger::record(conn, &cfg.ledger_path, &entries)?;
    access_log::insert_batch(conn, &logs)?;
    let subjects: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
    let rows = match kind {
        SubjectType::Person => erase::people(conn, &subjects, &identifiers, chunk)?,
        SubjectType::User => erase::users(conn, &subjects, &identifiers, chunk)?,
    };
    Ok(Forgotten {
        subjects,
        rows,
        identifiers,
    })
}

/// [`forget`] on the pool, then the purge of cached content naming the subjects (no Redis configured:
/// nothing to purge): what an erasure request and the inactivity sweep both run. `doing` names the step
/// in a database error.
pub(crate) async fn forget_and_purge(
    env: &RgpdEnv,
    kind: SubjectType,
    ids: Vec<i64>,
    cause: Cause<'static>,
    doing: &'static str,
) -> Result<(Forgotten, Purged), JobError> {
    let cfg = env.config.clone();
    let forgotten = run_blocking(&env.pool, move |c| {
        Ok(forget(c, &cfg, kind, &ids, cause, CHUNK))
    })
    .await
    .map_err(|e| JobError::db(e, doing))?
    .map_err(|e| match e {
        ForgetError::Db(e) => JobError::db(e, doing),
        ForgetError::Ledger(e) => JobError::transient(anyhow::Error::new(e)),
    })?;
    let purged = match &env.redis {
        None => Purged::default(),
        Some(redis) => {
            let mut conn = redis.clone();
            cache::purge(&mut conn, &env.cache_patterns, &forgotten.identifiers)
                .await
                .map_err(|e| JobError::transient(anyhow!("purging cached content: {e}")))?
        }
    };
    Ok((forgotten, purged))
}
