//! A Redis lease: the holder is the scheduler leader until it stops renewing.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use shared::redis_conn::RedisConn;

static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
          end
          return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0",
    )
});

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
          return 0",
    )
});

/// A named lease held by `holder` for `ttl` at a time.
#[derive(Clone)]
pub struct Lease {
    conn: RedisConn,
    key: String,
    holder: String,
    ttl: Duration,
}

impl Lease {
    pub fn new(conn: RedisConn, key: String, holder: String, ttl: Duration) -> Self {
        Self {
            conn,
            key,
            holder,
            ttl,
        }
    }

    /// The lease period.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Takes the lease if free, or extends it if already ours. `false` when someone else holds it.
    pub async fn acquire_or_renew(&mut self) -> Result<bool, redis::RedisError> {
        let n: i64 = RENEW
            .key(&self.key)
            .arg(&self.holder)
            .arg(u64::try_from(self.ttl.as_millis()).unwrap_or(10_000))
            .invoke_async(&mut self.conn)
            .await?;
        Ok(n == 1)
    }

    /// Gives the lease up if we hold it (clean shutdown: the next leader takes over at once).
    pub async fn release(&mut self) -> Result<(), redis::RedisError> {
        let _: i64 = RELEASE
            .key(&self.key)
            .arg(&self.holder)
            .invoke_async(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Who holds the lease now, if anyone.
    pub async fn holder(&mut self) -> Result<Option<String>, redis::RedisError> {
        redis::cmd("GET")
            .arg(&self.key)
            .query_async(&mut self.conn)
            .await
    }
}
