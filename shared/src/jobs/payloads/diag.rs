//! Diagnostic jobs: they touch nothing but the queue, so operators can smoke-test the pipeline and the
//! benchmarks and crash tests can drive the real worker path.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jobs::{Backoff, Job, JobPolicy, Queue, bounds};
use crate::models::user::Role;
use crate::permissions::Resource;

/// `diag.noop`: does nothing and succeeds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Noop {
    /// Free-form tag echoed in the result (lets tests and benchmarks tell jobs apart).
    #[serde(default)]
    pub tag: Option<String>,
}

impl Job for Noop {
    const NAME: &'static str = "diag.noop";
    const QUEUE: Queue = Queue::Diag;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(10),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(5),
        },
    };
    const RUN_ROLE: Role = Role::Manager;
    const DESCRIPTION: &'static str = "Do nothing and succeed (pipeline smoke test)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `diag.echo`: succeeds with the message it was given (a deployment check: what goes in comes out).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    /// Returned as is in the result; at most 1,000 characters.
    #[serde(deserialize_with = "bounds::text_at_most::<1_000, _>")]
    pub message: String,
}

impl Job for Echo {
    const NAME: &'static str = "diag.echo";
    const QUEUE: Queue = Queue::Diag;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(10),
        max_attempts: 1,
        backoff: Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(5),
        },
    };
    const RUN_ROLE: Role = Role::Manager;
    const DESCRIPTION: &'static str = "Return the given message (deployment check)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `diag.sleep`: sleeps, reporting progress every step.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sleep {
    /// Total sleep in milliseconds (at most 600000, checked at enqueue).
    #[serde(deserialize_with = "bounds::u64_at_most::<600_000, _>")]
    #[schema(maximum = 600_000)]
    pub millis: u64,
    /// Number of progress reports, 1 to 1000 (default 1).
    #[serde(default, deserialize_with = "bounds::opt_u32_in::<1, 1_000, _>")]
    #[schema(minimum = 1, maximum = 1_000)]
    pub steps: Option<u32>,
    #[serde(default)]
    pub tag: Option<String>,
}

impl Sleep {
    /// The longest sleep: the policy's timeout (660 s) leaves room for it.
    pub const MAX_MILLIS: u64 = 600_000;
}

impl Job for Sleep {
    const NAME: &'static str = "diag.sleep";
    const QUEUE: Queue = Queue::Diag;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(660),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(5),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str =
        "Sleep for a while, reporting progress (worker and shutdown checks)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}

/// `diag.fail`: fails on purpose, transiently until attempt `succeed_on_attempt`, or permanently.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fail {
    /// Succeed from this attempt on (1-based); absent means never succeed.
    #[serde(default)]
    pub succeed_on_attempt: Option<u32>,
    /// Fail with a permanent error (no retry) instead of a transient one.
    #[serde(default)]
    pub permanent: bool,
    /// Fixed retry delay in milliseconds instead of the policy's backoff.
    #[serde(default)]
    pub backoff_ms: Option<u64>,
    /// Succeed from this time on, whatever the attempt (simulates an outage that gets fixed, so a
    /// dead job requeued later completes).
    #[serde(default)]
    pub succeed_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Fail as a provider answering 429 with this `Retry-After` (ms) does: the job's rate-limit bucket is
    /// paused and the attempt not counted (see `JobError::Throttled`). At most 10 minutes.
    #[serde(default, deserialize_with = "bounds::opt_u64_at_most::<600_000, _>")]
    #[schema(maximum = 600000)]
    pub throttle_ms: Option<u64>,
}

impl Job for Fail {
    const NAME: &'static str = "diag.fail";
    const QUEUE: Queue = Queue::Diag;
    const POLICY: JobPolicy = JobPolicy {
        timeout: Duration::from_secs(10),
        max_attempts: 4,
        backoff: Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(5),
        },
    };
    const RUN_ROLE: Role = Role::Admin;
    const DESCRIPTION: &'static str = "Fail on purpose (retry and dead-letter checks)";

    fn resource(&self) -> Resource {
        Resource::Platform
    }
}
