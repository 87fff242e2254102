//! Restoring a backup for real (`workers restore`), and the erasure-ledger replay every restore ends with:
//! a backup taken before an erasure still holds the person, so after loading it every subject of the
//! ledger file found un-erased is erased again (`crm_rgpd::ledger::replay`).

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use crm_queue::JobError;
use crm_rgpd::ledger::{self, ReplayOutcome};
use diesel::prelude::*;
use serde::Serialize;
use shared::db::PgPool;

use crate::BackupSettings;
use crate::dump::connect_error;
use crate::pg;
use crate::restore::{self, Restore};
use crate::verify::{check_file, pick};

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreOutcome {
    pub backup_id: i64,
    pub file_name: String,
    /// The ledger replay on the restored database.
    pub ledger: ReplayOutcome,
}

/// Replays the ledger file at `ledger_path` on the database at `url`.
pub async fn replay_ledger(url: &str, ledger_path: &Path) -> Result<ReplayOutcome, JobError> {
    let url = url.to_owned();
    let path: PathBuf = ledger_path.to_owned();
    tokio::task::spawn_blocking(move || {
        let entries = ledger::read_file(&path)
            .map_err(|e| JobError::transient(anyhow!("reading the erasure ledger: {e}")))?;
        let mut conn =
            PgConnection::establish(&url).map_err(|e| connect_error(&e.to_string(), &url))?;
        ledger::replay(&mut conn, &entries, crm_rgpd::CHUNK)
            .map_err(|e| JobError::db(e, "replaying the erasure ledger"))
    })
    .await
    .map_err(|e| JobError::transient(anyhow!("ledger replay task failed: {e}")))?
}

/// Restores backup `backup_id` (default: the newest that succeeded) into the empty database at
/// `target_url`, after checking its checksum, then replays the erasure ledger on it.
pub async fn restore_into(
    settings: &BackupSettings,
    pool: &PgPool,
    backup_id: Option<i64>,
    target_url: &str,
) -> Result<RestoreOutcome, JobError> {
    let backup = pick(pool, backup_id).await?;
    if let Err(reason) = check_file(&settings.dir, &backup).await? {
        return Err(JobError::permanent(anyhow!(
            "backup {} cannot be restored: {reason}",
            backup.id
        )));
    }
    let psql = pg::binary(settings.pg_bin_dir.as_deref(), "psql");
    let file = settings.dir.join(&backup.file_name);
    if let Restore::Failed(reason) = restore::restore(&psql, target_url, file).await? {
        return Err(JobError::permanent(anyhow!(
            "backup {} did not restore: {reason}",
            backup.id
        )));
    }
    let ledger = replay_ledger(target_url, &settings.ledger_path).await?;
    tracing::info!(
        backup.id = %backup.id,
        ledger.entries = ledger.entries,
        ledger.reerased = ledger.reerased,
        "backup restored and erasure ledger replayed"
    );
    Ok(RestoreOutcome {
        backup_id: backup.id.0,
        file_name: backup.file_name,
        ledger,
    })
}
