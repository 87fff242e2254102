//! Mailbox jobs: periodic and manual sync, body retention, imports from disk.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue};
use crate::models::email_account::EmailAccountId;
use crate::models::user::Role;
use crate::permissions::Resource;

/// Width of the window of [`SyncAccount::window_key`]: the cron fires `mail.sync_all` every 10 minutes.
pub const SYNC_WINDOW_SECS: i64 = 600;

/// `mail.sync_all`: enqueue one `mail.sync_account` per active account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncAll {}

impl Job for SyncAll {
    const NAME: &'static str = "mail.sync_all";
    const QUEUE: Queue = Queue::Mail;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(120),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(60),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str = "Enqueue a sync of every active mailbox";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `mail.sync_account`: fetch the new messages of one mailbox (run-now: its owner, checked by the API).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncAccount {
    #[schema(value_type = i64)]
    pub account_id: EmailAccountId,
}

impl SyncAccount {
    /// The idempotency key `mail.sync_all` uses: one job per account and 10-minute window.
    pub fn window_key(account_id: EmailAccountId, now_unix_secs: i64) -> String {
        format!(
            "mail.sync_account:{account_id}:{}",
            now_unix_secs.div_euclid(SYNC_WINDOW_SECS)
        )
    }
}

impl Job for SyncAccount {
    const NAME: &'static str = "mail.sync_account";
    const QUEUE: Queue = Queue::Mail;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(3_600),
        max_attempts: 5,
        backoff: Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(900),
        },
    };
    const RUN_ROLE: Role = Role::User;
    const DESCRIPTION: &'static str =
        "Fetch a mailbox's new messages (deduplicated, threaded, matched to people)";

    fn resource(&self) -> Resource {
        Resource::EmailAccount(self.account_id)
    }
}

/// `mail.cleanup`: purge email bodies older than `MAIL_RETENTION_DAYS`, keeping the metadata.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cleanup {}

impl Job for Cleanup {
    const NAME: &'static str = "mail.cleanup";
    const QUEUE: Queue = Queue::Mail;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(3_600),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(900),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Purge email bodies older than MAIL_RETENTION_DAYS (metadata kept)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `mail.import`: import an mbox file or a Maildir folder below `MAIL_IMPORT_DIR` into an account.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Import {
    #[schema(value_type = i64)]
    pub account_id: EmailAccountId,
    /// Path of the mbox file or Maildir folder, absolute or relative to `MAIL_IMPORT_DIR`.
    pub path: String,
    /// Folder name recorded on the messages (default `Import`; `Sent` marks them outbound).
    #[serde(default)]
    pub folder: Option<String>,
}

impl Job for Import {
    const NAME: &'static str = "mail.import";
    const QUEUE: Queue = Queue::Mail;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(6 * 3_600),
        max_attempts: 2,
        backoff: Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(600),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str = "Import an mbox file or Maildir folder into a mailbox";

    fn resource(&self) -> Resource {
        Resource::EmailAccount(self.account_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_key_changes_every_ten_minutes() {
        assert_eq!(
            SyncAccount::window_key(EmailAccountId(7), 0),
            "mail.sync_account:7:0"
        );
        assert_eq!(
            SyncAccount::window_key(EmailAccountId(7), 599),
            "mail.sync_account:7:0"
        );
        assert_eq!(
            SyncAccount::window_key(EmailAccountId(7), 600),
            "mail.sync_account:7:1"
        );
    }
}
