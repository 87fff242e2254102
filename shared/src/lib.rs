//! Shared library of the CRM job platform: configuration, database, models, the job catalogue,
//! progress reporting, Redis helpers and telemetry. Used by the `api`, `workers` and `schedules` crates.

pub mod config;
pub mod crypto;
pub mod db;
pub mod events;
pub mod jobs;
pub mod keyed_hash;
pub mod models;
pub mod permissions;
pub mod progress;
pub mod redis_conn;
pub mod schema;
pub mod scratch_db;
pub mod telemetry;
#[cfg(feature = "test-utils")]
pub mod test_utils;
