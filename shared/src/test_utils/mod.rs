//! Helpers for tests against the real Postgres and Dovecot (feature `test-utils`): a database of its own
//! per test, so suites run in parallel. The Redis namespace per test is `crm_queue::test_utils::TestRedis`.

pub mod db;
pub mod dovecot;
pub mod hostile_imap;
pub mod sentinel;
pub mod smtp_sink;

pub use db::TestDb;
pub use dovecot::Dovecot;
pub use hostile_imap::{Behaviour, HostileImap};
pub use sentinel::SentinelGroup;
pub use smtp_sink::{Received, SmtpSink};
