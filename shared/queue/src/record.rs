//! What is stored about a job: the envelope the worker receives and the record operators look up.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use shared::permissions::Actor;
use ulid::Ulid;

/// A job's id (a ULID, also the apalis task id of its first attempt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub Ulid);

impl JobId {
    pub fn new() -> Self {
        Self(Ulid::new())
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for JobId {
    type Err = ulid::DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ulid::from_string(s).map(Self)
    }
}

/// What a worker receives for one attempt (the apalis task arguments).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobEnvelope {
    pub job_id: JobId,
    /// The apalis task id of this attempt (each attempt is a separate task).
    pub task_id: Ulid,
    pub job: String,
    pub payload: serde_json::Value,
    /// The HTTP request id that caused the job, carried into the job's span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Who enqueued the job; the worker re-checks that a user actor may still act on the job's resource.
    /// Envelopes written before actors were recorded have none: they run as the system's.
    #[serde(default)]
    pub actor: Actor,
    /// The resource the payload touches, as text (`email_account:7`), for the job's history row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

impl JobEnvelope {
    /// The envelope of the job's next task, due at `due_ms` (unix ms), and its JSON: a new task id that
    /// carries its due time, so queue-age figures stay truthful.
    pub fn next_task(&self, due_ms: i64) -> (Ulid, String) {
        let task_id = Ulid::from_parts(u64::try_from(due_ms).unwrap_or(0), rand::random());
        let next = JobEnvelope {
            task_id,
            ..self.clone()
        };
        (task_id, serde_json::to_string(&next).unwrap_or_default())
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Due later (`run_at` in the future).
    Scheduled,
    /// Ready, waiting for a worker.
    Waiting,
    Running,
    /// Failed transiently; another attempt is scheduled.
    Retrying,
    Succeeded,
    /// Out of attempts or failed permanently; in the dead-letter set.
    Dead,
    /// Cancelled by an operator before it started.
    Cancelled,
}

impl JobState {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "scheduled" => Self::Scheduled,
            "waiting" => Self::Waiting,
            "running" => Self::Running,
            "retrying" => Self::Retrying,
            "succeeded" => Self::Succeeded,
            "dead" => Self::Dead,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// One failed attempt.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttemptError {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub error: String,
    pub permanent: bool,
}

impl AttemptError {
    /// The JSON entry of an attempt failing now, as the retry and bury scripts push it on the errors list.
    pub fn entry_now(attempt: u32, error: &str, permanent: bool) -> String {
        serde_json::to_string(&Self {
            attempt,
            at: Utc::now(),
            error: error.to_owned(),
            permanent,
        })
        .unwrap_or_default()
    }
}

/// A job's record as stored in Redis (hash `{ns}:job:{id}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobRecord {
    #[schema(value_type = String)]
    pub id: JobId,
    pub job: String,
    pub queue: String,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub result: Option<serde_json::Value>,
    pub last_error: Option<String>,
    pub progress: Option<Progress>,
    pub idempotency_key: Option<String>,
    /// Who enqueued the job: `system` (cron schedules, fan-out) or `user:<id>`.
    #[schema(value_type = String, example = "user:42")]
    pub actor: Actor,
    /// What the job touches, e.g. `email_account:7`, `interaction:12`, `platform`.
    #[schema(example = "email_account:7")]
    pub resource: Option<String>,
    /// Times the job was held back by its rate-limit bucket (not counted as attempts).
    pub throttled: u32,
    pub errors: Vec<AttemptError>,
}

/// Progress reported by a long job.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    pub percent: u8,
    pub message: Option<String>,
    pub at: DateTime<Utc>,
}

fn ms(v: Option<&String>) -> Option<DateTime<Utc>> {
    v.and_then(|s| s.parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

impl JobRecord {
    /// Builds a record from the hash fields; `None` when the hash is empty or not a job.
    pub fn from_hash(
        id: JobId,
        h: &HashMap<String, String>,
        errors: Vec<AttemptError>,
    ) -> Option<Self> {
        let mut state = JobState::parse(h.get("state")?)?;
        let run_at = ms(h.get("run_at"))?;
        if state == JobState::Scheduled && run_at <= Utc::now() {
            state = JobState::Waiting;
        }
        let progress = h
            .get("progress_pct")
            .and_then(|p| p.parse::<u8>().ok())
            .map(|percent| Progress {
                percent,
                message: h.get("progress_msg").cloned().filter(|m| !m.is_empty()),
                at: ms(h.get("progress_at")).unwrap_or(run_at),
            });
        Some(Self {
            id,
            job: h.get("job")?.clone(),
            queue: h.get("queue")?.clone(),
            state,
            attempts: h.get("attempts").and_then(|v| v.parse().ok()).unwrap_or(0),
            max_attempts: h
                .get("max_attempts")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            payload: h
                .get("payload")
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or(serde_json::Value::Null),
            created_at: ms(h.get("created_at")).unwrap_or(run_at),
            run_at,
            started_at: ms(h.get("started_at")),
            finished_at: ms(h.get("finished_at")),
            next_attempt_at: if state == JobState::Retrying {
                ms(h.get("next_attempt_at"))
            } else {
                None
            },
            result: h.get("result").and_then(|r| serde_json::from_str(r).ok()),
            last_error: h.get("last_error").cloned().filter(|e| !e.is_empty()),
            progress,
            idempotency_key: h.get("idempotency_key").cloned().filter(|k| !k.is_empty()),
            // A record without an actor predates them: the system's (admins only).
            actor: h
                .get("actor")
                .and_then(|a| a.parse().ok())
                .unwrap_or_default(),
            resource: h.get("resource").cloned().filter(|r| !r.is_empty()),
            throttled: h.get("throttled").and_then(|v| v.parse().ok()).unwrap_or(0),
            errors,
        })
    }
}
