//! The job queue of one Redis namespace: connecting, counting what went wrong, deleting the keys after.

use std::time::Duration;

use anyhow::Context;
use crm_queue::{JobQueue, Keys};
use shared::jobs::Queue;
use shared::redis_conn::RedisConn;

pub async fn hlen(conn: &mut RedisConn, key: &str) -> anyhow::Result<u64> {
    Ok(redis::cmd("HLEN").arg(key).query_async(conn).await?)
}

pub async fn zcard(conn: &mut RedisConn, key: &str) -> anyhow::Result<u64> {
    Ok(redis::cmd("ZCARD").arg(key).query_async(conn).await?)
}

/// Jobs that went wrong so far: our dead letters, our delayed set (retries), and tasks still in apalis' data
/// hash (every finished task must have been forgotten).
pub async fn error_counts(q: &JobQueue) -> anyhow::Result<(u64, u64, u64)> {
    let mut conn = q.connection();
    let keys = q.keys();
    Ok((
        zcard(&mut conn, &keys.dead()).await?,
        zcard(&mut conn, &keys.delayed()).await?,
        hlen(&mut conn, &keys.data(Queue::Diag)).await?,
    ))
}

pub async fn queue(url: &str, ns: &str) -> anyhow::Result<JobQueue> {
    let conn = shared::redis_conn::connect(&shared::redis_conn::RedisTarget::url(url))
        .await
        .context("connecting to Redis")?;
    Ok(JobQueue::new(
        conn,
        Keys::new(ns),
        Duration::from_secs(3_600),
    ))
}

/// Deletes a namespace's keys (UNLINK in batches of SCAN results).
pub async fn cleanup(q: &JobQueue) {
    let mut conn = q.connection();
    let pattern = format!("{}:*", q.keys().ns());
    let mut cursor: u64 = 0;
    loop {
        let Ok((next, keys)): Result<(u64, Vec<String>), _> = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(5_000)
            .query_async(&mut conn)
            .await
        else {
            return;
        };
        if !keys.is_empty() {
            let _: Result<u64, _> = redis::cmd("UNLINK").arg(&keys).query_async(&mut conn).await;
        }
        if next == 0 {
            return;
        }
        cursor = next;
    }
}
