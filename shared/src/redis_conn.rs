//! Redis connections: a reconnecting multiplexed manager with bounded timeouts.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Opens a connection manager that reconnects by itself after Redis restarts.
pub async fn connect(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(10)))
        .set_number_of_retries(3)
        .set_max_delay(Duration::from_secs(2));
    client.get_connection_manager_with_config(config).await
}

/// A plain client (for pub/sub, which needs its own connection).
pub fn client(url: &str) -> Result<redis::Client, redis::RedisError> {
    redis::Client::open(url)
}
