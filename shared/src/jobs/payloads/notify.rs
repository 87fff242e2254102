//! Notification jobs: tasks falling due.

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
