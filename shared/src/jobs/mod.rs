//! The job catalogue and the enqueue API used by API handlers, schedules and jobs.
//!
//! See ARCHITECTURE.md "A job's way". Storage is apalis-redis' queue layout plus our own records, delayed set,
//! dead-letter set and idempotency keys (see [`keys`]).

mod admin;
pub mod catalogue;
mod client;
mod job;
pub mod keys;
mod malformed;
pub mod payloads;
mod policy;
mod queue;
mod record;
pub mod scripts;

pub use admin::{ActionOutcome, ListState, MinutePoint, ProcessView, QueueStats};
pub use client::{EnqueueError, EnqueueOptions, Enqueued, JobQueue, QueueDepth, RequeueOutcome};
pub use job::{Job, JobSpec, PayloadError, decode_payload};
pub use keys::Keys;
pub use malformed::{MALFORMED_LIST_MAX, MalformedTask, UNREADABLE_ENVELOPE, candidate_job};
pub use policy::{Backoff, JobPolicy};
pub use queue::Queue;
pub use record::{AttemptError, JobEnvelope, JobId, JobRecord, JobState, Progress};

/// Current time in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
