//! Maintenance jobs.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue};
use crate::models::BackupId;
use crate::models::user::Role;
use crate::permissions::Resource;

/// `maint.backup`: dump the database with `pg_dump`, gzip it into `BACKUP_DIR`, apply retention.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Backup {}

impl Job for Backup {
    const NAME: &'static str = "maint.backup";
    const QUEUE: Queue = Queue::Maint;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(3 * 3_600),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(900),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Dump the database to a gzip file in BACKUP_DIR and apply retention";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `maint.backup_verify`: restore the newest backup into a scratch database and compare row counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupVerify {
    /// Verify this backup instead of the newest successful one.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub backup_id: Option<BackupId>,
}

impl Job for BackupVerify {
    const NAME: &'static str = "maint.backup_verify";
    const QUEUE: Queue = Queue::Maint;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(3 * 3_600),
        max_attempts: 2,
        backoff: Backoff {
            base: Duration::from_secs(300),
            max: Duration::from_secs(1_800),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Restore the newest backup into a scratch database and compare row counts";

    fn resource(&self) -> Resource {
        self.backup_id.map_or(Resource::Platform, Resource::Backup)
    }
}
