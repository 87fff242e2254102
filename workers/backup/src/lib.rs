//! The backup domain: `pg_dump` streamed through gzip into `BACKUP_DIR` with its checksum and row counts
//! recorded ([`run_backup`]), retention ([`apply_retention`]), and the restore check that loads a backup
//! into a scratch database and compares row counts ([`verify_backup`]). Plain functions: the handlers of
//! `workers/src/jobs/maint` call them, and so do this crate's tests.

mod dump;
mod make;
mod pg;
mod restore;
mod retention;
mod verify;

use std::path::PathBuf;

pub use make::{BackupOutcome, run_backup};
pub use pg::TableCounts;
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
}

impl std::fmt::Debug for BackupSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupSettings")
            .field("dir", &self.dir)
            .field("retention_days", &self.retention_days)
            .field("pg_bin_dir", &self.pg_bin_dir)
            .field("database_url", &"<redacted>")
            .finish()
    }
}
