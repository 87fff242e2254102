//! Maintenance jobs: database backups (`maint.backup`) and their restore check (`maint.backup_verify`).
//! The work is the `crm-backup` crate's; these handlers only unpack the job context.

mod backup;
mod backup_verify;

pub use backup::backup;
pub use backup_verify::backup_verify;

use crm_backup::BackupSettings;
use crm_queue::runtime::JobCtx;

/// The backup settings of the running worker process.
fn settings(ctx: &JobCtx) -> BackupSettings {
    BackupSettings::of(&ctx.app.config, ctx.app.database_url.clone())
}
