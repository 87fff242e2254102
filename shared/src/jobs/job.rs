//! The `Job` trait: a typed payload plus its policy, and the catalogue entry derived from it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{JobPolicy, Queue};
use crate::models::user::Role;
use crate::permissions::Resource;

/// A background job: a serde payload with its name, queue, policy and who may run it now.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Namespaced name, e.g. `maint.backup`.
    const NAME: &'static str;
    const QUEUE: Queue;
    const POLICY: JobPolicy;
    /// Lowest role allowed to start this job through run-now endpoints.
    const RUN_ROLE: Role;
    /// One line for the catalogue listing.
    const DESCRIPTION: &'static str;
    /// The global rate-limit bucket its starts go through (`serpapi`, `smtp`…), limited by
    /// `RATE_LIMIT_BUCKETS`; `None` starts as fast as workers allow. `RATE_LIMIT_JOBS` can override it.
    const RATE_LIMIT: Option<&'static str> = None;

    /// Splits the bucket by payload: the job starts through `<bucket>:<scope>` (one bucket per webhook
    /// host), limited by that exact name in `RATE_LIMIT_BUCKETS` if present, else by the bucket's own entry.
    /// `None` (the default): the bucket is shared by every payload.
    fn rate_limit_scope(&self) -> Option<String> {
        None
    }

    /// The resource this payload touches. Whoever runs the job must be allowed to change it by the same
    /// rule as the resource's own endpoint (`permissions::access_to`): checked at enqueue for a user, and
    /// again by the worker before the handler runs. Every job declares it (no default), so a new job type
    /// cannot be added without its resource rule; `Resource::Platform` leaves the decision to `RUN_ROLE`.
    fn resource(&self) -> Resource;

    /// A key that makes enqueueing this payload twice return the first job (none by default).
    fn idempotency_key(&self) -> Option<String> {
        None
    }
}

/// Why a payload was refused; `field` names the offending field when one can be named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid payload{}: {message}", field.as_deref().map(|f| format!(" at `{f}`")).unwrap_or_default())]
pub struct PayloadError {
    pub field: Option<String>,
    pub message: String,
}

/// Strictly decodes a payload (unknown fields are refused by the payload types), naming the bad field.
pub fn decode_payload<J: DeserializeOwned>(value: &serde_json::Value) -> Result<J, PayloadError> {
    serde_path_to_error::deserialize::<_, J>(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        // serde reports unknown and missing fields at the parent path; pull the field name out of the message.
        let named = extract_backticked(&inner);
        let field = match (path.as_str(), named) {
            (".", Some(n)) => Some(n),
            (".", None) => None,
            // serde_path_to_error already ends the path with an unknown key; a missing one is not in it.
            (p, Some(n)) if p == n || p.ends_with(&format!(".{n}")) => Some(p.to_owned()),
            (p, Some(n)) => Some(format!("{p}.{n}")),
            (p, _) => Some(p.to_owned()),
        };
        PayloadError {
            field,
            message: inner,
        }
    })
}

fn extract_backticked(msg: &str) -> Option<String> {
    if !(msg.starts_with("unknown field") || msg.starts_with("missing field")) {
        return None;
    }
    let start = msg.find('`')? + 1;
    let end = start + msg[start..].find('`')?;
    Some(msg[start..end].to_owned())
}

/// A catalogue entry: everything the API, the workers and the scheduler need to know about a job by name.
#[derive(Debug, Clone, Copy)]
pub struct JobSpec {
    pub name: &'static str,
    pub queue: Queue,
    pub policy: JobPolicy,
    pub run_role: Role,
    pub description: &'static str,
    /// The job type's own rate-limit bucket (see [`Job::RATE_LIMIT`]).
    pub rate_limit: Option<&'static str>,
    check: fn(&serde_json::Value) -> Result<Resource, PayloadError>,
    key: fn(&serde_json::Value) -> Option<String>,
    scope: fn(&serde_json::Value) -> Option<String>,
}

impl JobSpec {
    /// The entry for job type `J`.
    pub fn of<J: Job>() -> Self {
        Self {
            name: J::NAME,
            queue: J::QUEUE,
            policy: J::POLICY,
            run_role: J::RUN_ROLE,
            description: J::DESCRIPTION,
            rate_limit: J::RATE_LIMIT,
            check: |v| decode_payload::<J>(v).map(|job| job.resource()),
            key: |v| {
                decode_payload::<J>(v)
                    .ok()
                    .and_then(|job| job.idempotency_key())
            },
            scope: |v| {
                decode_payload::<J>(v)
                    .ok()
                    .and_then(|job| job.rate_limit_scope())
            },
        }
    }

    /// The job type's own idempotency key for a JSON payload ([`Job::idempotency_key`]), if any.
    pub fn idempotency_key(&self, payload: &serde_json::Value) -> Option<String> {
        (self.key)(payload)
    }

    /// The payload's part of the bucket name ([`Job::rate_limit_scope`]), if the job type splits its bucket.
    pub fn rate_limit_scope(&self, payload: &serde_json::Value) -> Option<String> {
        (self.scope)(payload)
    }

    /// Checks a JSON payload against the job's payload type (fields, their ranges).
    pub fn validate(&self, payload: &serde_json::Value) -> Result<(), PayloadError> {
        (self.check)(payload).map(drop)
    }

    /// Checks a JSON payload like [`JobSpec::validate`] and returns the resource it touches.
    pub fn check(&self, payload: &serde_json::Value) -> Result<Resource, PayloadError> {
        (self.check)(payload)
    }
}
