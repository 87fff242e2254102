//! The oldest Redis the job scripts run on. `lua/lib/forget.lua` uses SMISMEMBER (Redis 6.2); on an older
//! server every finished job's bookkeeping would fail and the job would be handed back and run again.

use crate::JobQueue;

/// Oldest supported Redis (major, minor).
pub const MIN_REDIS: (u32, u32) = (6, 2);

/// Refuses to start on a Redis older than [`MIN_REDIS`]. A Redis that cannot be asked now (down at boot)
/// is not a reason to stop: the workers wait for it like for any outage.
pub async fn require_supported(queue: &JobQueue) -> anyhow::Result<()> {
    let mut conn = queue.connection();
    let info: String = match redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await
    {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the Redis version at boot");
            return Ok(());
        }
    };
    check(&info).map_err(anyhow::Error::msg)
}

/// `Err` with a message naming the version when `INFO server` reports a Redis older than [`MIN_REDIS`].
fn check(info: &str) -> Result<(), String> {
    let Some(version) = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(str::trim)
    else {
        return Ok(()); // Not Redis' INFO format: nothing to judge.
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found < MIN_REDIS {
        return Err(format!(
            "Redis {version} is too old: the job runtime needs Redis {}.{} or newer (its scripts use SMISMEMBER and LPOP with a count)",
            MIN_REDIS.0, MIN_REDIS.1
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_6_2_pass_and_older_ones_are_named() {
        assert!(check("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n").is_ok());
        assert!(check("redis_version:6.2.0\r\n").is_ok());
        assert!(check("redis_version:10.0.1\r\n").is_ok());
        match check("# Server\r\nredis_version:6.0.16\r\n") {
            Err(err) => assert!(err.contains("6.0.16") && err.contains("6.2"), "{err}"),
            Ok(()) => panic!("Redis 6.0.16 accepted"),
        }
        assert!(check("redis_version:5.0.7").is_err());
        assert!(check("no version here").is_ok());
    }
}
