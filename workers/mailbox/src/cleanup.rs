//! Retention: bodies older than `MAIL_RETENTION_DAYS` are purged; the metadata the CRM history needs
//! (who, when, subject, thread) stays.

use chrono::{Duration, Utc};
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::interaction;

/// Rows purged per transaction.
const CHUNK: i64 = 5_000;

/// Purges the bodies of messages older than `retention_days`; returns how many were purged.
pub async fn purge_old_bodies(pool: &PgPool, retention_days: u32) -> Result<usize, DbError> {
    let cutoff = Utc::now() - Duration::days(i64::from(retention_days));
    let mut total = 0;
    loop {
        let n = run_blocking(pool, move |c| {
            interaction::purge_bodies_before(c, cutoff, CHUNK)
        })
        .await?;
        total += n;
        if n < usize::try_from(CHUNK).unwrap_or(usize::MAX) {
            return Ok(total);
        }
    }
}
