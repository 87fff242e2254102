//! Sentinel mode of `shared::redis_conn` against a real Sentinel group on loopback (`SentinelGroup`).
#![cfg(feature = "test-utils")]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use shared::redis_conn::{self, RedisTarget};
use shared::test_utils::SentinelGroup;
use shared::test_utils::sentinel::query;

async fn start_group() -> SentinelGroup {
    tokio::task::spawn_blocking(SentinelGroup::start)
        .await
        .unwrap()
}

/// A writer increments a counter through one connection while the replica is promoted: every increment a
/// replica confirmed (`WAIT 1`, as enqueues do in sentinel mode) is on the new master, and the writer was
/// never stalled for 10 s. An increment only the old primary had acknowledged may be lost: replication is
/// asynchronous, which is why enqueues wait for a replica.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_follows_the_master_through_a_failover_and_keeps_every_acknowledged_write() {
    let group = Arc::new(start_group().await);
    let conn = redis_conn::connect(&group.target()).await.unwrap();
    let old = group.master_port().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, acked, mut conn) = (stop.clone(), acked.clone(), conn.clone());
        tokio::spawn(async move {
            // `errors`: the increment failed (it may still have run); `unconfirmed`: it ran on a master but
            // no replica confirmed it within 1 s.
            let (mut errors, mut unconfirmed) = (0u64, 0u64);
            let (mut longest, mut last_ok) = (Duration::ZERO, Instant::now());
            while !stop.load(Ordering::Relaxed) {
                if conn.incr::<_, _, u64>("failover:counter", 1).await.is_err() {
                    errors += 1;
                    continue;
                }
                let replicas: redis::RedisResult<i64> = redis::cmd("WAIT")
                    .arg(1)
                    .arg(1_000)
                    .query_async(&mut conn)
                    .await;
                if matches!(replicas, Ok(n) if n >= 1) {
                    acked.fetch_add(1, Ordering::Relaxed);
                    longest = longest.max(last_ok.elapsed());
                    last_ok = Instant::now();
                } else {
                    unconfirmed += 1;
                }
            }
            (errors, unconfirmed, longest)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = acked.load(Ordering::Relaxed);
    assert!(before > 0, "no write went through before the failover");

    let promoted_at = Instant::now();
    group.failover().unwrap();
    let g = group.clone();
    let new = tokio::task::spawn_blocking(move || g.wait_new_master(old, Duration::from_secs(20)))
        .await
        .unwrap()
        .unwrap();
    let writable_after = promoted_at.elapsed();
    let at_switch = acked.load(Ordering::Relaxed);
    let resumed = loop {
        if acked.load(Ordering::Relaxed) > at_switch + 100 {
            break promoted_at.elapsed();
        }
        assert!(
            promoted_at.elapsed() < Duration::from_secs(20),
            "writes did not resume"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let (errors, unconfirmed, longest_stall) = writer.await.unwrap();
    let acked = acked.load(Ordering::Relaxed);

    let stored: u64 = query(new, redis::cmd("GET").arg("failover:counter")).unwrap();
    eprintln!(
        "failover: new master writable after {writable_after:?}, writes resumed after {resumed:?}, \
         longest stall {longest_stall:?}, {acked} confirmed by a replica, {unconfirmed} unconfirmed, \
         {stored} stored, {errors} errors"
    );
    assert!(
        stored >= acked,
        "{} increments confirmed by a replica lost",
        acked - stored
    );
    // An increment may have run although its connection failed, or no replica confirmed it in time.
    assert!(
        stored - acked <= errors + unconfirmed,
        "{stored} stored, {acked} confirmed, {unconfirmed} unconfirmed, {errors} errors"
    );
    assert!(
        resumed < Duration::from_secs(10),
        "writes resumed after {resumed:?}"
    );
    assert!(
        longest_stall < Duration::from_secs(10),
        "stalled {longest_stall:?}"
    );
    // The connection talks to the new master now: a plain read through it sees the new master's value.
    let mut conn = conn;
    let through: u64 = conn.get("failover:counter").await.unwrap();
    assert_eq!(through, stored);
}

/// Pub/sub connections go to the master the sentinels name, not to `REDIS_URL`'s host (which nothing
/// listens on in these tests).
#[tokio::test(flavor = "multi_thread")]
async fn pubsub_reaches_the_master_named_by_the_sentinels() {
    use futures::StreamExt;
    let group = start_group().await;
    let mut sub = redis_conn::pubsub(&group.target()).await.unwrap();
    sub.subscribe("sentinel:chan").await.unwrap();
    let mut conn = redis_conn::connect(&group.target()).await.unwrap();
    let _: i64 = conn.publish("sentinel:chan", "hello").await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), sub.on_message().next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.get_payload::<String>().unwrap(), "hello");
}

/// Without sentinel settings the URL is used as is (the behaviour before sentinel mode), and a failing
/// lookup names no address.
#[tokio::test(flavor = "multi_thread")]
async fn one_server_mode_uses_the_url_and_sentinel_mode_ignores_its_host() {
    let group = start_group().await;
    let primary = SentinelGroup::node_url(group.master_port().unwrap());
    let mut direct = redis_conn::connect(&RedisTarget::url(&primary))
        .await
        .unwrap();
    assert!(!direct.is_sentinel());
    let _: () = direct.set("mode:probe", "direct").await.unwrap();
    let mut via = redis_conn::connect(&group.target()).await.unwrap();
    assert!(via.is_sentinel());
    let read: String = via.get("mode:probe").await.unwrap();
    assert_eq!(read, "direct");
    drop(group);
    let err = redis_conn::connect(&RedisTarget::url("redis://127.0.0.1:1/0"))
        .await
        .err()
        .expect("nothing listens on port 1");
    assert!(!err.to_string().contains("127.0.0.1"), "{err}");
}
