//! Asking the sentinels which node is the master.

use std::time::Duration;

use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{ConnectionAddr, IntoConnectionInfo};
use secrecy::ExposeSecret;

use super::{RedisConnError, RedisTarget};
use crate::config::SentinelConfig;

/// The sentinels of one master name, with the data nodes' credentials from `REDIS_URL`.
pub(super) struct Discovery {
    client: SentinelClient,
}

impl Discovery {
    pub(super) fn new(
        target: &RedisTarget,
        config: &SentinelConfig,
    ) -> Result<Self, RedisConnError> {
        let info = target
            .url
            .expose_secret()
            .into_connection_info()
            .map_err(RedisConnError::Url)?;
        let node = info.redis_settings();
        let addrs = config
            .sentinels
            .iter()
            .map(|(host, port)| ConnectionAddr::Tcp(host.clone(), *port));
        let mut builder =
            SentinelClientBuilder::new(addrs, &config.master, SentinelServerType::Master)
                .map_err(RedisConnError::Url)?
                .set_client_to_redis_db(node.db());
        if let Some(user) = node.username() {
            builder = builder.set_client_to_redis_username(user);
        }
        if let Some(password) = node.password() {
            builder = builder.set_client_to_redis_password(password);
        }
        if let Some(password) = &config.password {
            builder = builder.set_client_to_sentinel_password(password.expose_secret());
        }
        Ok(Self {
            client: builder.build().map_err(RedisConnError::Url)?,
        })
    }

    /// A client for the node the sentinels name as master and that agrees it is one (`ROLE`). During a
    /// failover the two can disagree for a moment, so this asks again until `within` has passed.
    pub(super) async fn master(&mut self, within: Duration) -> redis::RedisResult<redis::Client> {
        let deadline = tokio::time::Instant::now() + within;
        let mut pause = Duration::from_millis(50);
        loop {
            let attempt = tokio::time::timeout_at(deadline, self.client.async_get_client()).await;
            let err = match attempt {
                Ok(Ok(client)) => return Ok(client),
                Ok(Err(e)) => e,
                Err(_) => timed_out(),
            };
            if tokio::time::Instant::now() + pause >= deadline {
                // The kind and category only: details can hold node addresses.
                tracing::warn!(error.kind = ?err.kind(), "no Redis master found through the sentinels");
                return Err(err);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "asking the sentinels for the master timed out",
    ))
}
