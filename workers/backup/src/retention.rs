//! Backup retention: files and rows older than `BACKUP_RETENTION_DAYS` go, except the newest backup whose
//! restore check said `ok` (the one to restore from) and the backups the caller names.

use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde::Serialize;
use shared::db::PgPool;
use shared::db::run_blocking;
use shared::models::BackupId;
use shared::models::backup as rows;

use crate::BackupSettings;
use crate::make::db_error;
use crm_queue::JobError;

/// Leftover temporary files of runs that died are removed once this old (well past the job timeout).
const STALE_PARTIAL_AGE: Duration = Duration::from_secs(24 * 3_600);

/// What one retention pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionOutcome {
    /// Backups removed (file and row), by file name.
    pub deleted: Vec<String>,
    /// The newest verified-good backup, kept whatever its age.
    pub kept_verified: Option<i64>,
    /// Backups past the window whose file could not be removed (their row is kept, to retry next time).
    pub failed: usize,
    /// Temporary files of dead runs removed.
    pub stale_partials: usize,
}

/// Removes backups started more than `retention_days` ago, except the newest verified-good one and `keep`.
pub async fn apply_retention(
    settings: &BackupSettings,
    pool: &PgPool,
    keep: &[BackupId],
) -> Result<RetentionOutcome, JobError> {
    let cutoff = Utc::now() - chrono::Duration::days(i64::from(settings.retention_days));
    let (expired, newest_good) = run_blocking(pool, move |c| {
        Ok((
            rows::list_started_before(c, cutoff)?,
            rows::newest_verified_good(c)?,
        ))
    })
    .await
    .map_err(|e| db_error(e, "listing expired backups"))?;
    let kept_verified = newest_good.map(|b| b.id);

    let mut outcome = RetentionOutcome {
        kept_verified: kept_verified.map(|id| id.0),
        ..RetentionOutcome::default()
    };
    for backup in expired {
        if Some(backup.id) == kept_verified || keep.contains(&backup.id) {
            continue;
        }
        if let Err(e) = remove_backup_file(&settings.dir, &backup.file_name).await {
            tracing::warn!(backup.id = %backup.id, error = %e, "could not remove an expired backup file");
            outcome.failed += 1;
            continue;
        }
        let id = backup.id;
        run_blocking(pool, move |c| rows::delete_backup(c, id))
            .await
            .map_err(|e| db_error(e, "deleting an expired backup record"))?;
        tracing::info!(backup.id = %id, backup.file = %backup.file_name, "expired backup removed");
        outcome.deleted.push(backup.file_name);
    }
    outcome.stale_partials = remove_stale_partials(&settings.dir).await;
    Ok(outcome)
}

/// Removes `dir/name`; a file already gone is fine. Names with a path in them are refused, so a row can
/// never point the deletion outside the backup directory.
async fn remove_backup_file(dir: &Path, name: &str) -> io::Result<()> {
    if Path::new(name).file_name().is_none_or(|n| n != name) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "backup file name is not a plain file name",
        ));
    }
    match tokio::fs::remove_file(dir.join(name)).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes `.crm-backup-*.partial` files older than [`STALE_PARTIAL_AGE`]; returns how many.
async fn remove_stale_partials(dir: &Path) -> usize {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".crm-backup-") && name.ends_with(".partial")) {
            continue;
        }
        let old = entry
            .metadata()
            .await
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age > STALE_PARTIAL_AGE);
        if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
            removed += 1;
        }
    }
    removed
}
