//! The job catalogue: what a job is (payload type, queue, policy, who may run it) and the list of every
//! job. Moving and running jobs is the `crm-queue` crate's work (`shared/queue`).

pub mod bounds;
pub mod catalogue;
mod job;
pub mod payloads;
mod policy;
mod queue;

pub use job::{Job, JobSpec, PayloadError, decode_payload};
pub use policy::{Backoff, JobPolicy};
pub use queue::Queue;
