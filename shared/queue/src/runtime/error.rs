//! How a job attempt fails: the decision between retry and dead-letter is made where the error is understood.

use std::time::Duration;

/// A failed attempt.
#[derive(Debug)]
pub enum JobError {
    /// Worth retrying (network, timeout, lock, unavailable service). `retry_in` overrides the backoff.
    Transient {
        error: anyhow::Error,
        retry_in: Option<Duration>,
    },
    /// Retrying cannot help (bad payload, missing entity, revoked authorisation): straight to dead-letter.
    Permanent(anyhow::Error),
    /// The provider behind the job's rate-limit bucket refused for now (HTTP 429 with `Retry-After`): the
    /// bucket is paused for `retry_after` across every worker and the job re-scheduled after it, the
    /// attempt not counted. A job without a bucket retries after `retry_after` like a transient failure.
    Throttled {
        error: anyhow::Error,
        retry_after: Duration,
    },
}

impl JobError {
    pub fn transient(error: impl Into<anyhow::Error>) -> Self {
        Self::Transient {
            error: error.into(),
            retry_in: None,
        }
    }

    pub fn permanent(error: impl Into<anyhow::Error>) -> Self {
        Self::Permanent(error.into())
    }

    /// The provider asked to wait `retry_after` (see [`JobError::Throttled`]).
    pub fn throttled(error: impl Into<anyhow::Error>, retry_after: Duration) -> Self {
        Self::Throttled {
            error: error.into(),
            retry_after,
        }
    }

    /// A database error, with what was being done: transient when retrying may help (connection lost, pool
    /// exhausted, serialisation conflict), permanent otherwise.
    pub fn db(e: shared::db::DbError, doing: &'static str) -> Self {
        let transient = e.is_transient();
        let e = anyhow::Error::new(e).context(doing);
        if transient {
            Self::transient(e)
        } else {
            Self::permanent(e)
        }
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent(_))
    }

    /// The error with its cause chain, for the job record (no personal data must be put in errors).
    pub fn describe(&self) -> String {
        let e = match self {
            Self::Transient { error, .. }
            | Self::Permanent(error)
            | Self::Throttled { error, .. } => error,
        };
        let text = format!("{e:#}");
        text.chars().take(2_000).collect()
    }
}

/// Unclassified errors are transient: a wrong "permanent" loses work, a wrong "transient" costs retries.
impl From<anyhow::Error> for JobError {
    fn from(error: anyhow::Error) -> Self {
        Self::transient(error)
    }
}
