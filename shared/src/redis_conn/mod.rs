//! Redis connections of every process (API, workers, scheduler): one constructor, one connection type.
//!
//! [`RedisConn`] is a reconnecting multiplexed connection with bounded timeouts. Against one server it is the
//! `redis` crate's `ConnectionManager`. In sentinel mode it asks the sentinels for the current master and asks
//! again when that master stops being one: on connection errors, and on `READONLY` / `NOREPLICAS` /
//! `MASTERDOWN` replies (a demoted or isolated primary), which a plain `ConnectionManager` would keep
//! reconnecting to. Pub/sub connections come from [`pubsub`], through the same discovery.

mod conn;
mod sentinel;

use std::time::Duration;

use redis::aio::ConnectionManagerConfig;
use secrecy::{ExposeSecret, SecretString};

use crate::config::SentinelConfig;

pub use conn::RedisConn;

/// Why a Redis connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RedisConnError {
    #[error("invalid Redis URL")]
    Url(#[source] redis::RedisError),
    #[error("cannot reach the Redis master")]
    Connect(#[source] redis::RedisError),
}

/// Where this process's Redis is: `REDIS_URL`, or the master the sentinels name.
#[derive(Debug, Clone)]
pub struct RedisTarget {
    url: SecretString,
    sentinel: Option<SentinelConfig>,
}

impl RedisTarget {
    pub fn new(url: SecretString, sentinel: Option<SentinelConfig>) -> Self {
        Self { url, sentinel }
    }

    /// One server at `url` (tests, tools).
    pub fn url(url: &str) -> Self {
        Self::new(SecretString::from(url.to_owned()), None)
    }

    /// The sentinel settings, when in sentinel mode.
    pub fn sentinel(&self) -> Option<&SentinelConfig> {
        self.sentinel.as_ref()
    }

    fn client(&self) -> Result<redis::Client, RedisConnError> {
        redis::Client::open(self.url.expose_secret()).map_err(RedisConnError::Url)
    }
}

/// Timeouts of a connection: the workers wait longer, the API fails fast and reports itself unhealthy.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub response: Duration,
    pub retries: usize,
    pub max_delay: Duration,
}

impl Timeouts {
    /// Workers and tools.
    pub const WORKER: Self = Self {
        connect: Duration::from_secs(3),
        response: Duration::from_secs(10),
        retries: 3,
        max_delay: Duration::from_secs(2),
    };
    /// The API.
    pub const API: Self = Self {
        connect: Duration::from_secs(2),
        response: Duration::from_secs(5),
        retries: 2,
        max_delay: Duration::from_secs(1),
    };

    fn manager_config(self) -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect))
            .set_response_timeout(Some(self.response))
            .set_number_of_retries(self.retries)
            .set_max_delay(self.max_delay)
    }
}

/// Opens a connection now (failing when Redis, or in sentinel mode its master, cannot be reached), with
/// the workers' timeouts.
pub async fn connect(target: &RedisTarget) -> Result<RedisConn, RedisConnError> {
    let conn = RedisConn::lazy(target, Timeouts::WORKER)?;
    conn.ready().await.map_err(RedisConnError::Connect)?;
    Ok(conn)
}

/// A connection established on first use (so a process can start while Redis is down).
pub fn connect_lazy(target: &RedisTarget, timeouts: Timeouts) -> Result<RedisConn, RedisConnError> {
    RedisConn::lazy(target, timeouts)
}

/// A dedicated pub/sub connection to the current master.
pub async fn pubsub(target: &RedisTarget) -> Result<redis::aio::PubSub, RedisConnError> {
    let client = match &target.sentinel {
        None => target.client()?,
        Some(s) => sentinel::Discovery::new(target, s)?
            .master(Timeouts::WORKER.connect)
            .await
            .map_err(RedisConnError::Connect)?,
    };
    client
        .get_async_pubsub()
        .await
        .map_err(RedisConnError::Connect)
}
