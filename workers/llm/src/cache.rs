//! Provider answers cached in Redis under `prefix + sha256(normalised input, task, provider,
//! model, prompt version)`. The value is the validated answer (a `ProviderResult` as JSON), never
//! the raw reply. A Redis outage or a slow Redis is logged (without content) and treated as a miss.

use std::time::Duration;

use intel::ProviderResult;
use redis::AsyncCommands;
use redis::aio::ConnectionLike;
use sha2::{Digest, Sha256};

use crate::config::{CacheConfig, ProviderConfig};
use crate::prompt::Task;

/// What goes into a cache key.
#[derive(Debug, Clone, Copy)]
pub struct KeyParts<'a> {
    /// Normalised provider input (see [`crate::input`]).
    pub input: &'a str,
    pub task: Task,
    pub provider: &'a str,
    pub model: &'a str,
    pub prompt_version: &'a str,
}

/// The Redis key: `prefix` + hex SHA-256 of the parts, each length-prefixed so that no two
/// different part lists hash the same bytes.
pub fn key(prefix: &str, parts: &KeyParts<'_>) -> String {
    let mut h = Sha256::new();
    for field in [
        parts.task.as_str(),
        parts.provider,
        parts.model,
        parts.prompt_version,
        parts.input,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    format!("{prefix}{}", hex::encode(h.finalize()))
}

/// Lookup result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    /// No Redis configured.
    Disabled,
    /// A provider's answer was found.
    Hit,
    Miss,
    /// Redis failed or was too slow: counted as a miss, analysis went on.
    Unavailable,
}

/// The connection the cache talks through: any cloneable async Redis connection (the platform hands it the
/// connection every Redis user of the process shares, which follows a Sentinel failover).
pub trait CacheConn: ConnectionLike + Send + Sync + 'static {
    fn clone_box(&self) -> Box<dyn CacheConn>;
}

impl<T: ConnectionLike + Clone + Send + Sync + 'static> CacheConn for T {
    fn clone_box(&self) -> Box<dyn CacheConn> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn CacheConn> {
    fn clone(&self) -> Self {
        (**self).clone_box()
    }
}

impl ConnectionLike for Box<dyn CacheConn> {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        (**self).req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        (**self).req_packed_commands(pipeline, offset, count)
    }

    fn get_db(&self) -> i64 {
        (**self).get_db()
    }
}

/// The Redis side of the cache.
#[derive(Clone)]
pub struct Cache {
    conn: Box<dyn CacheConn>,
    config: CacheConfig,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Cache {
    pub fn new(conn: impl CacheConn, config: CacheConfig) -> Cache {
        Cache {
            conn: conn.clone_box(),
            config,
        }
    }

    /// Keys of every provider for this input, in cascade order.
    pub fn keys(&self, task: Task, input: &str, providers: &[ProviderConfig]) -> Vec<String> {
        providers
            .iter()
            .map(|p| {
                key(
                    &self.config.prefix,
                    &KeyParts {
                        input,
                        task,
                        provider: p.kind.as_str(),
                        model: &p.model,
                        prompt_version: crate::PROMPT_VERSION,
                    },
                )
            })
            .collect()
    }

    /// One round trip for all providers: the first cached answer in cascade order, with its
    /// position. A stored value that no longer reads is ignored.
    pub async fn lookup(&self, keys: &[String]) -> (CacheStatus, Option<(usize, ProviderResult)>) {
        if keys.is_empty() {
            return (CacheStatus::Miss, None);
        }
        let mut conn = self.conn.clone();
        let cmd = async move { conn.mget::<_, Vec<Option<String>>>(keys).await };
        let values = match tokio::time::timeout(self.config.timeout, cmd).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return (unavailable("read", &e.to_string()), None),
            Err(_) => return (unavailable("read", "timed out"), None),
        };
        let hit = values.into_iter().enumerate().find_map(|(i, v)| {
            v.and_then(|s| serde_json::from_str::<ProviderResult>(&s).ok())
                .map(|r| (i, r))
        });
        match hit {
            Some(h) => (CacheStatus::Hit, Some(h)),
            None => (CacheStatus::Miss, None),
        }
    }

    /// Stores an answer for the task's lifetime; failures are logged and ignored.
    pub async fn store(&self, key: &str, task: Task, value: &ProviderResult) {
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        let ttl = self.ttl(task).as_secs().max(1);
        let mut conn = self.conn.clone();
        let cmd = async move { conn.set_ex::<_, _, ()>(key, json, ttl).await };
        match tokio::time::timeout(self.config.timeout, cmd).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                unavailable("write", &e.to_string());
            }
            Err(_) => {
                unavailable("write", "timed out");
            }
        }
    }

    /// Lifetime of a task's entries: expensive tasks keep theirs longer.
    pub fn ttl(&self, task: Task) -> Duration {
        if task.is_expensive() {
            self.config.expensive_ttl
        } else {
            self.config.ttl
        }
    }
}

fn unavailable(op: &'static str, error: &str) -> CacheStatus {
    metrics::counter!("llm_cache_errors_total", "op" => op).increment(1);
    tracing::warn!(
        cache.op = op,
        error,
        "llm cache unavailable, continuing without it"
    );
    CacheStatus::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(model: &'a str, version: &'a str) -> KeyParts<'a> {
        KeyParts {
            input: "Bonjour",
            task: Task::Text,
            provider: "openai",
            model,
            prompt_version: version,
        }
    }

    #[test]
    fn every_part_changes_the_key() {
        let base = key("p:", &parts("m1", "v1"));
        assert!(base.starts_with("p:"));
        assert_eq!(base.len(), 2 + 64);
        assert_eq!(base, key("p:", &parts("m1", "v1")));
        assert_ne!(base, key("p:", &parts("m2", "v1")));
        assert_ne!(base, key("p:", &parts("m1", "v2")));
        let mut other = parts("m1", "v1");
        other.task = Task::Message;
        assert_ne!(base, key("p:", &other));
        other = parts("m1", "v1");
        other.provider = "mistral";
        assert_ne!(base, key("p:", &other));
        other = parts("m1", "v1");
        other.input = "Bonjour.";
        assert_ne!(base, key("p:", &other));
        // length prefixes: moving a boundary between parts changes the key
        let a = KeyParts {
            model: "ab",
            prompt_version: "c",
            ..parts("", "")
        };
        let b = KeyParts {
            model: "a",
            prompt_version: "bc",
            ..parts("", "")
        };
        assert_ne!(key("", &a), key("", &b));
    }
}
