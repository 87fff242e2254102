//! The backup domain: `pg_dump` streamed through gzip into `BACKUP_DIR` with its checksum and row counts
//! recorded ([`run_backup`]), retention ([`apply_retention`]), and the restore check that loads a backup
//! into a scratch database and compares row counts ([`verify_backup`]). Plain functions: the handlers of
//! `workers/src/jobs/maint` call them, and so do this crate's tests.

mod dump;
mod make;
mod pg;
mod restore;
mod restore_into;
mod retention;
mod verify;

use std::path::PathBuf;

pub use make::{BackupOutcome, run_backup};
pub use pg::TableCounts;
pub use restore_into::{RestoreOutcome, restore_into};
pub use retention::{RetentionOutcome, apply_retention};
pub use verify::{VerifyOutcome, verify_backup};

/// Where backups go and how to reach the database, taken from the worker configuration.
#[derive(Clone)]
pub struct BackupSettings {
    pub dir: PathBuf,
    pub retention_days: u32,
    /// Directory of `pg_dump` and `psql`; `None` looks them up in `PATH`.
    pub pg_bin_dir: Option<PathBuf>,
    /// Database to dump; may hold a password, so it is never logged.
    pub database_url: String,
    /// The erasure ledger file (`RGPD_LEDGER_PATH`) every restore replays.
    pub ledger_path: PathBuf,
}

impl BackupSettings {
    /// The settings of a worker process whose database is at `database_url`.
    pub fn of(config: &shared::config::WorkerConfig, database_url: String) -> Self {
        Self {
            dir: config.backup_dir.clone(),
            retention_days: config.backup_retention_days,
            pg_bin_dir: config.pg_bin_dir.clone(),
            database_url,
            ledger_path: config.common.rgpd.ledger_path.clone(),
        }
    }
}

impl std::fmt::Debug for BackupSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupSettings")
            .field("dir", &self.dir)
            .field("retention_days", &self.retention_days)
            .field("pg_bin_dir", &self.pg_bin_dir)
            .field("database_url", &"<redacted>")
            .field("ledger_path", &self.ledger_path)
            .finish()
    }
}
