//! `maint.backup_verify`: restore a backup into a scratch database and compare its row counts with those
//! recorded at dump time.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::db::{PgPool, run_blocking};
use shared::models::BackupId;
use shared::models::backup::{self as rows, Backup, BackupStatus, VerifyResult};
use shared::schema::backups;

use crate::make::db_error;
use crate::pg::{self, TableCounts};
use shared::scratch_db::ScratchDb;

use crate::restore::{self, Restore};
use shared::progress::ReportProgress;

use crate::BackupSettings;
use crm_queue::JobError;

/// Summary of a restore check (the job's result); the same details are stored on the backup's row.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    pub backup_id: i64,
    pub file_name: String,
    pub result: VerifyResult,
    /// `ok`: tables and rows checked; `mismatch`: the differing tables; `failed`: the reason.
    pub details: Value,
    /// Name of the scratch database restored into; `None` when the file check failed before any restore.
    pub scratch_database: Option<String>,
    /// Whether the scratch database was dropped (a leftover is logged with its name).
    pub scratch_dropped: bool,
}

/// Checks the file's SHA-256, restores it into a scratch database, compares row counts and records the
/// verdict. `Err` means the check could not run (nothing to verify, server unreachable): nothing recorded.
pub async fn verify_backup(
    settings: &BackupSettings,
    pool: &PgPool,
    backup_id: Option<i64>,
    progress: &dyn ReportProgress,
) -> Result<VerifyOutcome, JobError> {
    let backup = pick(pool, backup_id).await?;
    let id = backup.id;
    tracing::info!(backup.id = %id, "backup verification started");
    progress.report(5, "checking the file checksum").await;

    let mut scratch_dropped = true;
    let mut scratch_database = None;
    let (result, details) = match check_file(&settings.dir, &backup).await? {
        Err(reason) => (VerifyResult::Failed, json!({ "error": reason })),
        Ok(expected) => {
            progress
                .report(15, "restoring into a scratch database")
                .await;
            let scratch = restore::create_scratch(&settings.database_url).await?;
            let checked = restore_and_compare(settings, &scratch, &backup, &expected).await;
            progress.report(90, "dropping the scratch database").await;
            let name = scratch.name().to_owned();
            if let Err(e) = restore::drop_scratch(scratch).await {
                scratch_dropped = false;
                tracing::warn!(backup.id = %id, scratch = %name, error = %e, "could not drop the scratch database");
            }
            scratch_database = Some(name);
            checked?
        }
    };

    let recorded = details.clone();
    run_blocking(pool, move |c| {
        rows::record_verification(c, id, result, &recorded)
    })
    .await
    .map_err(|e| db_error(e, "recording the verification"))?;
    tracing::info!(backup.id = %id, result = %result, "backup verification finished");
    progress.report(100, "verification done").await;
    Ok(VerifyOutcome {
        backup_id: id.0,
        file_name: backup.file_name,
        result,
        details,
        scratch_database,
        scratch_dropped,
    })
}

/// The backup asked for, or the newest that succeeded.
pub(crate) async fn pick(pool: &PgPool, backup_id: Option<i64>) -> Result<Backup, JobError> {
    let found = run_blocking(pool, move |c| match backup_id {
        Some(id) => rows::find_backup(c, BackupId(id)),
        None => Ok(backups::table
            .filter(backups::status.eq(BackupStatus::Succeeded))
            .order((backups::started_at.desc(), backups::id.desc()))
            .select(Backup::as_select())
            .first(c)
            .optional()?),
    })
    .await
    .map_err(|e| db_error(e, "looking up the backup to verify"))?;
    let backup = match (found, backup_id) {
        (Some(backup), _) => backup,
        (None, Some(id)) => return Err(JobError::permanent(anyhow!("backup {id} does not exist"))),
        (None, None) => {
            return Err(JobError::permanent(anyhow!(
                "no successful backup to verify"
            )));
        }
    };
    if backup.status != BackupStatus::Succeeded {
        return Err(JobError::permanent(anyhow!(
            "backup {} is {}, only succeeded backups can be verified",
            backup.id,
            backup.status
        )));
    }
    Ok(backup)
}

/// The counts to expect when the file is intact; `Ok(Err(reason))` when it is missing or altered.
pub(crate) async fn check_file(
    dir: &Path,
    backup: &Backup,
) -> Result<Result<TableCounts, String>, JobError> {
    let Some(expected_sha) = backup.sha256.clone() else {
        return Ok(Err("no checksum recorded".into()));
    };
    let Some(counts) = backup.table_counts.clone() else {
        return Ok(Err("no table counts recorded".into()));
    };
    let Ok(counts) = serde_json::from_value::<TableCounts>(counts) else {
        return Ok(Err("recorded table counts are malformed".into()));
    };
    let path = dir.join(&backup.file_name);
    let actual = tokio::task::spawn_blocking(move || sha256_of(&path))
        .await
        .map_err(|e| JobError::transient(anyhow!("checksum task failed: {e}")))?;
    Ok(match actual {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err("backup file is missing".into()),
        Err(e) => Err(format!("backup file cannot be read: {e}")),
        Ok(actual) if actual != expected_sha => Err(format!(
            "sha256 mismatch: recorded {expected_sha}, file has {actual}"
        )),
        Ok(_) => Ok(counts),
    })
}

fn sha256_of(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0_u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// Restores into `scratch` and compares; the verdict and its details.
async fn restore_and_compare(
    settings: &BackupSettings,
    scratch: &ScratchDb,
    backup: &Backup,
    expected: &TableCounts,
) -> Result<(VerifyResult, Value), JobError> {
    let psql = pg::binary(settings.pg_bin_dir.as_deref(), "psql");
    let file: PathBuf = settings.dir.join(&backup.file_name);
    if let Restore::Failed(reason) = restore::restore(&psql, &scratch.url(), file).await? {
        return Ok((VerifyResult::Failed, json!({ "error": reason })));
    }
    let actual = restore::count_rows(scratch.url()).await?;
    let (result, mut details) = compare(expected, &actual);
    // Counts are compared first (the dump as taken); then the ledger is replayed as any restore does, and
    // the verdict says whether it left an erased subject behind.
    match crate::restore_into::replay_ledger(&scratch.url(), &settings.ledger_path).await {
        Ok(ledger) => details["ledger"] = serde_json::to_value(&ledger).unwrap_or_default(),
        Err(e) => {
            return Ok((
                VerifyResult::Failed,
                json!({ "error": format!("erasure ledger replay failed: {e:?}"), "counts": details }),
            ));
        }
    }
    Ok((result, details))
}

/// `ok` with totals when every table has the recorded count; `mismatch` listing the differences otherwise.
fn compare(expected: &TableCounts, actual: &TableCounts) -> (VerifyResult, Value) {
    let mut differing = serde_json::Map::new();
    let mut missing = Vec::new();
    for (table, want) in expected {
        match actual.get(table) {
            None => missing.push(table.clone()),
            Some(got) if got != want => {
                differing.insert(table.clone(), json!({ "expected": want, "actual": got }));
            }
            Some(_) => {}
        }
    }
    let unexpected: Vec<&String> = actual
        .keys()
        .filter(|t| !expected.contains_key(*t))
        .collect();
    if differing.is_empty() && missing.is_empty() && unexpected.is_empty() {
        let rows: i64 = actual.values().sum();
        return (
            VerifyResult::Ok,
            json!({ "tables": actual.len(), "rows": rows }),
        );
    }
    (
        VerifyResult::Mismatch,
        json!({ "tables": differing, "missing_tables": missing, "unexpected_tables": unexpected }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, i64)]) -> TableCounts {
        pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    #[test]
    fn equal_counts_are_ok() {
        let c = counts(&[("users", 3), ("teams", 1)]);
        let (result, details) = compare(&c, &c);
        assert_eq!(result, VerifyResult::Ok);
        assert_eq!(details["rows"], 4);
    }

    #[test]
    fn differences_are_listed() {
        let (result, details) = compare(
            &counts(&[("users", 3), ("teams", 1)]),
            &counts(&[("users", 2), ("extra", 0)]),
        );
        assert_eq!(result, VerifyResult::Mismatch);
        assert_eq!(details["tables"]["users"]["expected"], 3);
        assert_eq!(details["missing_tables"][0], "teams");
        assert_eq!(details["unexpected_tables"][0], "extra");
    }
}
