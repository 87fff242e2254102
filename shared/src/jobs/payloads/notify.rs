//! Notification jobs: tasks falling due, the email digest.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue};
use crate::models::user::Role;
use crate::permissions::Resource;

/// `notify.task_due` (hourly): every open task whose due time has passed and whose assignee was not yet
/// told becomes a `task.due` event (the relay notifies the assignee), once per due date.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDue {}

impl Job for TaskDue {
    const NAME: &'static str = "notify.task_due";
    const QUEUE: Queue = Queue::Default;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(300),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(600),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Tell assignees about their tasks that fell due (task.due events)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `notify.email_digest` (daily): each user's unread notifications of the kinds they set to `email`, in
/// one message (`SMTP_URL`); a notification is emailed once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailDigest {}

impl Job for EmailDigest {
    const NAME: &'static str = "notify.email_digest";
    const QUEUE: Queue = Queue::Outbound;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(1_800),
        max_attempts: 4,
        backoff: Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(1_800),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Email each user the unread notifications they chose to receive by email";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}
