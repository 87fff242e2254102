//! Queue names. apalis-redis serves each queue as a FIFO list; priorities are not supported by it, so work
//! that must not wait behind bulk jobs gets a queue of its own.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A named queue with its own workers and concurrency.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Queue {
    /// General background work.
    Default,
    /// Maintenance: backups, verification, retention.
    Maint,
    /// Diagnostics: no-op and synthetic jobs used by health checks, tests and benchmarks.
    Diag,
    /// Mailbox sync, imports and retention (network-bound, kept apart from general work).
    Mail,
    /// Email intelligence: analysis of stored emails (CPU-bound, or waiting on LLM providers).
    Intel,
    /// Outbound delivery: webhooks (and campaign mail), waiting on other people's servers.
    Outbound,
}

impl Queue {
    /// Every queue, in a stable order.
    pub const ALL: [Queue; 6] = [
        Queue::Default,
        Queue::Maint,
        Queue::Diag,
        Queue::Mail,
        Queue::Intel,
        Queue::Outbound,
    ];

    /// The queue's name as used in Redis keys and configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            Queue::Default => "default",
            Queue::Maint => "maint",
            Queue::Diag => "diag",
            Queue::Mail => "mail",
            Queue::Intel => "intel",
            Queue::Outbound => "outbound",
        }
    }

    /// Concurrency when `WORKER_CONCURRENCY` does not say otherwise.
    pub const fn default_concurrency(self) -> usize {
        match self {
            Queue::Default => 8,
            // Backups are heavy on the database: one at a time per process.
            Queue::Maint => 1,
            Queue::Diag => 64,
            // Each sync holds an IMAP connection; providers limit concurrent sessions per user.
            Queue::Mail => 4,
            Queue::Intel => 4,
            // A slow receiver holds a slot up to the 15 s timeout; per-host buckets pace each receiver.
            Queue::Outbound => 32,
        }
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Queue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Queue::ALL
            .into_iter()
            .find(|q| q.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Queue::ALL.iter().map(|q| q.as_str()).collect();
                format!("unknown queue `{s}` (known: {})", names.join(", "))
            })
    }
}
