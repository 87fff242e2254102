//! Maintenance jobs: database backups (`maint.backup`) and their restore check (`maint.backup_verify`).
//!
//! The handlers only unpack the job context; [`run_backup`] and [`verify_backup`] do the work and are what
//! tests call.

mod backup;
mod backup_verify;
mod dump;
mod pg;
mod restore;
mod retention;

use std::path::PathBuf;

pub use backup::{BackupOutcome, backup, run_backup, run_backup_reporting};
pub use backup_verify::{VerifyOutcome, backup_verify, verify_backup};
pub use pg::TableCounts;
pub use retention::{RetentionOutcome, apply_retention};
pub use shared::progress::{NoProgress, ReportProgress};

use crm_queue::runtime::JobCtx;

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

impl BackupSettings {
    /// The settings of the running worker process.
    pub fn from_ctx(ctx: &JobCtx) -> Self {
        let config = &ctx.app.config;
        Self {
            dir: config.backup_dir.clone(),
            retention_days: config.backup_retention_days,
            pg_bin_dir: config.pg_bin_dir.clone(),
            database_url: ctx.app.database_url.clone(),
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
            .finish()
    }
}
