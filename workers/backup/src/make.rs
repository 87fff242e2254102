//! One backup (the work of `maint.backup`): dump the database to `BACKUP_DIR/crm-backup-YYYYMMDDTHHMMSSZ.sql.gz`, record it, prune old
//! backups.

use anyhow::anyhow;
use chrono::Utc;
use serde::Serialize;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::BackupId;
use shared::models::backup as rows;

use crate::dump::{self, PartialFile, Snapshot};
use crate::pg::{self, TableCounts};
use crate::retention::{RetentionOutcome, apply_retention};
use shared::progress::ReportProgress;

use crate::BackupSettings;
use crm_queue::JobError;

/// Summary of a successful backup run (the job's result).
#[derive(Debug, Clone, Serialize)]
pub struct BackupOutcome {
    pub backup_id: i64,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
    /// Row count per table at dump time.
    pub table_counts: TableCounts,
    /// What retention removed; `None` when retention itself failed (the backup still stands).
    pub retention: Option<RetentionOutcome>,
}

/// Makes one backup and applies retention. A failed run leaves no file behind and its row marked `failed`.
pub async fn run_backup(
    settings: &BackupSettings,
    pool: &PgPool,
    progress: &dyn ReportProgress,
) -> Result<BackupOutcome, JobError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let file_name = format!("crm-backup-{stamp}.sql.gz");
    progress.report(0, "starting backup").await;
    let row = {
        let name = file_name.clone();
        run_blocking(pool, move |c| rows::start_backup(c, &name))
            .await
            .map_err(|e| db_error(e, "recording the backup start"))?
    };
    let id = row.id;
    tracing::info!(backup.id = %id, backup.file = %file_name, "backup started");

    let made = make_backup(settings, pool, progress, id, &file_name, &stamp).await;
    let (size_bytes, sha256, table_counts) = match made {
        Ok(made) => made,
        Err(err) => {
            let reason = err.describe();
            tracing::warn!(backup.id = %id, error = %reason, "backup failed");
            if let Err(e) = run_blocking(pool, move |c| rows::fail_backup(c, id, &reason)).await {
                tracing::warn!(backup.id = %id, error = %e, "could not mark the backup failed");
            }
            return Err(err);
        }
    };
    tracing::info!(backup.id = %id, size_bytes, tables = table_counts.len(), "backup written");

    progress.report(95, "applying retention").await;
    let retention = match apply_retention(settings, pool, &[id]).await {
        Ok(done) => Some(done),
        Err(e) => {
            tracing::warn!(backup.id = %id, error = %e.describe(), "backup retention failed");
            None
        }
    };
    progress.report(100, "backup done").await;
    Ok(BackupOutcome {
        backup_id: id.0,
        file_name,
        size_bytes,
        sha256,
        table_counts,
        retention,
    })
}

/// Dumps into a temporary file, renames it into place and records it; on error nothing is left on disk.
async fn make_backup(
    settings: &BackupSettings,
    pool: &PgPool,
    progress: &dyn ReportProgress,
    id: BackupId,
    file_name: &str,
    stamp: &str,
) -> Result<(u64, String, TableCounts), JobError> {
    tokio::fs::create_dir_all(&settings.dir)
        .await
        .map_err(|e| dump::io_error(e, "creating BACKUP_DIR"))?;
    progress
        .report(5, "taking a snapshot and counting rows")
        .await;
    // Counts and dump read the same snapshot, so the restore check can expect exact numbers.
    let snapshot = Snapshot::take(&settings.database_url).await?;
    progress
        .report(15, &format!("dumping {} tables", snapshot.counts.len()))
        .await;

    let (partial, file) = PartialFile::create(
        settings
            .dir
            .join(format!(".crm-backup-{stamp}.sql.gz.partial")),
    )
    .await?;
    let pg_dump = pg::binary(settings.pg_bin_dir.as_deref(), "pg_dump");
    let dumped = dump::dump(
        &pg_dump,
        &settings.database_url,
        (&snapshot.id, snapshot.database_bytes),
        file,
        progress,
    )
    .await?;
    let counts = snapshot.counts.clone();
    drop(snapshot);

    let target = settings.dir.join(file_name);
    partial.persist(&target).await?;
    progress.report(90, "recording the backup").await;
    let size = i64::try_from(dumped.size_bytes)
        .map_err(|_| JobError::permanent(anyhow!("backup size does not fit a bigint")))?;
    let json = serde_json::to_value(&counts).map_err(JobError::permanent)?;
    let sha = dumped.sha256.clone();
    let recorded = run_blocking(pool, move |c| rows::finish_backup(c, id, size, &sha, &json)).await;
    if let Err(e) = recorded {
        // A file no row describes would never be verified nor pruned.
        if let Err(rm) = tokio::fs::remove_file(&target).await {
            tracing::warn!(backup.id = %id, error = %rm, "could not remove an unrecorded backup file");
        }
        return Err(db_error(e, "recording the finished backup"));
    }
    Ok((dumped.size_bytes, dumped.sha256, counts))
}

/// Bookkeeping failures: retry when the database may come back.
pub(super) fn db_error(e: DbError, doing: &str) -> JobError {
    let transient = e.is_transient() || matches!(e, DbError::UniqueViolation { .. });
    let error = anyhow::Error::new(e).context(doing.to_owned());
    if transient {
        JobError::transient(error)
    } else {
        JobError::permanent(error)
    }
}
