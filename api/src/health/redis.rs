//! Redis: version, memory, clients, latency of `PING`.

use std::time::Instant;

use serde::Serialize;
use shared::redis_conn::RedisConn;

use super::{bounded, elapsed_ms};

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RedisHealth {
    pub up: bool,
    pub version: Option<String>,
    pub used_memory_bytes: Option<u64>,
    pub connected_clients: Option<u64>,
    /// Round trip of `PING`.
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
}

pub(super) async fn check(mut conn: RedisConn) -> RedisHealth {
    let probe = async move {
        let start = Instant::now();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        let latency = elapsed_ms(start);
        let info: String = redis::cmd("INFO").query_async(&mut conn).await?;
        Ok::<_, redis::RedisError>((info, latency))
    };
    match bounded("redis", probe).await {
        Ok((info, latency)) => RedisHealth {
            up: true,
            version: info_field(&info, "redis_version").map(str::to_owned),
            used_memory_bytes: info_field(&info, "used_memory").and_then(|v| v.parse().ok()),
            connected_clients: info_field(&info, "connected_clients").and_then(|v| v.parse().ok()),
            latency_ms: Some(latency),
            error: None,
        },
        Err(error) => RedisHealth {
            up: false,
            error: Some(error),
            ..Default::default()
        },
    }
}

/// The value of `name:value` in an `INFO` reply.
fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

#[cfg(test)]
mod tests {
    use super::info_field;

    #[test]
    fn reads_info_fields() {
        let info =
            "# Server\r\nredis_version:7.0.15\r\nused_memory:1024\r\nused_memory_human:1K\r\n";
        assert_eq!(info_field(info, "redis_version"), Some("7.0.15"));
        assert_eq!(info_field(info, "used_memory"), Some("1024"));
        assert_eq!(info_field(info, "connected_clients"), None);
    }
}
