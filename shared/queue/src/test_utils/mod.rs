//! Test helpers (feature `test-utils`): a Redis namespace of its own per test, and the harness that runs
//! real `workers` processes against it.

mod harness;
mod redis;

pub use harness::{Env, Worker, eventually, workers_bin};
pub use redis::TestRedis;
