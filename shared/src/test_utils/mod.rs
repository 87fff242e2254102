//! Helpers for tests against the real Postgres and Redis (feature `test-utils`): a database and a Redis
//! namespace of their own per test, so suites run in parallel.

pub mod db;
pub mod dovecot;
pub mod redis;

pub use db::TestDb;
pub use dovecot::Dovecot;
pub use redis::TestRedis;
