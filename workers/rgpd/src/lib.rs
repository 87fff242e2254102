//! The RGPD (GDPR) domain: what the platform holds about a data subject and how it gives it back or
//! forgets it. Plain functions on a connection: the handlers of `workers/src/jobs/rgpd` call them, the
//! backup check and the restore command replay the ledger with them, and this crate's tests drive them.
//!
//! - [`subject`]: a subject's identifiers (emails, phones, names) and their keyed hashes;
//! - [`erase`]: anonymise what must be kept, delete the rest, in short set-based batches;
//! - [`ledger`]: every erasure, written before it acts, to a table and to a file beside the backups;
//!   [`ledger::replay`] erases again what a restored backup brought back;
//! - [`export`]: everything held about a subject, as JSON and CSV in a zip;
//! - [`inactive`]: the weekly sweep of accounts and contacts without activity;
//! - [`cache`]: Redis entries whose content names an erased subject;
//! - [`requests`]: the export and erasure requests' jobs, from `queued` to `done`;
//! - [`report`]: the monthly compliance report as figures, HTML and PDF.

pub mod cache;
pub mod erase;
pub mod export;
pub mod forget;
pub mod inactive;
pub mod ledger;
pub mod report;
pub mod requests;
pub mod subject;

use shared::config::RgpdConfig;
use shared::db::PgPool;
use shared::redis_conn::RedisConn;

/// What the RGPD jobs work on, built once by the worker process.
#[derive(Clone)]
pub struct RgpdEnv {
    pub pool: PgPool,
    pub config: RgpdConfig,
    /// Where cached content is purged of erased subjects; `None` skips the purge (tests without Redis).
    pub redis: Option<RedisConn>,
    /// `SCAN` patterns of the keys to purge: the namespace's and the LLM cache's.
    pub cache_patterns: Vec<String>,
}

/// Rows changed per erasure batch statement.
pub const CHUNK: usize = 5_000;
