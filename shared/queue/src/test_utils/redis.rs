//! A Redis namespace of its own per test, so tests run in parallel on one Redis.

use std::time::Duration;

use crate::{JobQueue, Keys};

/// A unique key namespace on the Redis at `REDIS_URL`; its keys are deleted on drop.
pub struct TestRedis {
    url: String,
    ns: String,
}

impl TestRedis {
    /// A fresh namespace (`t` + a ULID).
    pub fn new() -> Self {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        Self::with_url(url)
    }

    /// A fresh namespace on the given server.
    pub fn with_url(url: String) -> Self {
        Self {
            url,
            ns: format!("t{}", ulid::Ulid::new().to_string().to_lowercase()),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn namespace(&self) -> &str {
        &self.ns
    }

    pub fn keys(&self) -> Keys {
        Keys::new(self.ns.clone())
    }

    /// A job queue handle on this namespace.
    pub async fn queue(&self) -> JobQueue {
        let conn =
            match shared::redis_conn::connect(&shared::redis_conn::RedisTarget::url(&self.url))
                .await
            {
                Ok(c) => c,
                Err(e) => panic!("REDIS_URL not reachable: {e}"),
            };
        JobQueue::new(conn, self.keys(), Duration::from_secs(3_600))
    }
}

impl Default for TestRedis {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(2)) else {
            return;
        };
        let pattern = format!("{}:*", self.ns);
        let keys: Vec<String> = match redis::cmd("KEYS").arg(&pattern).query(&mut conn) {
            Ok(k) => k,
            Err(_) => return,
        };
        for chunk in keys.chunks(500) {
            let _: Result<(), _> = redis::cmd("UNLINK").arg(chunk).query(&mut conn);
        }
        let _: Result<(), _> = redis::cmd("ZREM")
            .arg("core:apalis:queues:list")
            .arg(
                shared::jobs::Queue::ALL
                    .iter()
                    .map(|q| format!("{}:q:{}:workers", self.ns, q))
                    .collect::<Vec<_>>(),
            )
            .query(&mut conn);
    }
}
