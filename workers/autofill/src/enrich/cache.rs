//! Our cache of what SerpAPI said about a query (SerpAPI's own cache lasts an hour; ours `cache_days`),
//! "nothing found" included, under a key that hashes the query (no company name in key listings). A Redis
//! failure is a miss: enrichment then searches.

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::knowledge::Knowledge;

/// A cached answer: the knowledge graph read, or `None` when the search found none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cached {
    pub knowledge: Option<Knowledge>,
}

/// The cache key of `query` in namespace `ns`.
pub fn key(ns: &str, query: &str) -> String {
    let digest = Sha256::digest(format!("serpapi:google:fr:{}", query.trim().to_lowercase()));
    format!("{ns}:enrich:serpapi:{}", hex::encode(digest))
}

/// The cached answer for `key`, if any (errors are misses).
pub async fn get(conn: &mut shared::redis_conn::RedisConn, key: &str) -> Option<Cached> {
    let raw: Option<String> = match conn.get(key).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "enrichment cache unavailable; searching");
            None
        }
    };
    raw.and_then(|r| serde_json::from_str(&r).ok())
}

/// Stores `value` for `days`.
pub async fn put(conn: &mut shared::redis_conn::RedisConn, key: &str, value: &Cached, days: u32) {
    let Ok(text) = serde_json::to_string(value) else {
        return;
    };
    let ttl = u64::from(days) * 86_400;
    if let Err(e) = conn.set_ex::<_, _, ()>(key, text, ttl).await {
        tracing::warn!(error = %e, "enrichment cache not written");
    }
}
