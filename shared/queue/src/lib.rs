//! The queue protocol of the CRM job platform, in one crate: the Redis key layout and every Lua script,
//! [`JobQueue`] (enqueue, look up, progress) and the operators' actions on it, and the worker [`runtime`]
//! (apalis store backend, executor, handler registry, supervisor, housekeeping).
//!
//! What a job *is* (payload types, policies, the catalogue) lives in `shared::jobs`; this crate moves and
//! runs jobs. See `docs/ARCHITECTURE.md` for the path of a job from HTTP to its handler.

mod admin;
pub mod buckets;
mod client;
pub mod keys;
mod malformed;
mod record;
pub mod runtime;
pub mod scripts;
#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use admin::{ActionOutcome, ListState, MinutePoint, ProcessView, QueueStats};
pub use buckets::BucketView;
pub use client::{
    EnqueueError, EnqueueOptions, Enqueued, JobQueue, MAX_RUN_AT_AHEAD, QueueDepth, RequeueOutcome,
};
pub use keys::Keys;
pub use malformed::{MALFORMED_LIST_MAX, MalformedTask, UNREADABLE_ENVELOPE, candidate_job};
pub use record::{AttemptError, JobEnvelope, JobId, JobRecord, JobState, Progress};
pub use runtime::JobError;

/// Current time in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
