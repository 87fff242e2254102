//! Pickup latency and backlogs: idle workers wake at once; 20,000 ready jobs and 10,000 delayed jobs due at
//! the same instant drain with zero errors (apalis-redis alone crashes past ~8,000 due jobs).
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_queue::{EnqueueOptions, JobId, JobState};
use redis::AsyncCommands;
use shared::jobs::Queue;
use shared::jobs::payloads::diag::Noop;

async fn wait_registered(env: &common::Env) {
    let keys = env.queue.keys().clone();
    let mut conn = env.queue.connection();
    let ok = common::eventually(Duration::from_secs(15), || {
        let keys = keys.clone();
        let mut conn = conn.clone();
        async move {
            conn.zcard::<_, u64>(keys.apalis_workers(Queue::Diag))
                .await
                .unwrap_or(0)
                > 0
        }
    })
    .await;
    assert!(ok, "worker never registered");
    let _: u64 = conn.zcard(keys.processes()).await.unwrap();
}

/// Counts job records by state with one pipeline.
async fn states(env: &common::Env, ids: &[JobId]) -> std::collections::HashMap<String, usize> {
    let mut conn = env.queue.connection();
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(5_000) {
        let mut pipe = redis::pipe();
        for id in chunk {
            pipe.hget(env.queue.keys().job(id), "state");
        }
        let states: Vec<Option<String>> = pipe.query_async(&mut conn).await.unwrap();
        for s in states {
            *out.entry(s.unwrap_or_else(|| "missing".into()))
                .or_insert(0) += 1;
        }
    }
    out
}

async fn wait_all_succeeded(env: &common::Env, ids: &[JobId], timeout: Duration) {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let s = states(env, ids).await;
        if s.get("succeeded").copied() == Some(ids.len()) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "not drained: {s:?}");
        assert!(
            !s.contains_key("dead") && !s.contains_key("retrying"),
            "errors while draining: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_worker_starts_a_new_job_within_100ms() {
    let env = common::Env::new().await;
    // A long fallback poll proves the wake-up path, not polling, does the work.
    let _w = env.spawn_workers(&[("WORKER_POLL_FALLBACK_MS", "30000")]);
    wait_registered(&env).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let id = env.enqueue(&Noop::default()).await;
        let rec = env
            .wait_state(&id, JobState::Succeeded, Duration::from_secs(10))
            .await;
        let ms = (rec.started_at.unwrap() - rec.created_at).num_milliseconds();
        latencies.push(ms);
        // Let the worker go idle again between jobs.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    latencies.sort_unstable();
    let median = latencies[latencies.len() / 2];
    eprintln!("idle pickup latencies (ms): {latencies:?}");
    assert!(
        median < 100,
        "median idle pickup {median} ms: {latencies:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backlog_of_20000_ready_jobs_drains_without_errors() {
    let env = common::Env::new().await;
    let jobs: Vec<Noop> = (0..20_000)
        .map(|i| Noop {
            tag: Some(i.to_string()),
        })
        .collect();
    let ids: Vec<JobId> = env
        .queue
        .enqueue_bulk(&jobs, EnqueueOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job_id)
        .collect();
    assert_eq!(ids.len(), 20_000);
    let _w = env.spawn_workers(&[]);
    wait_all_succeeded(&env, &ids, Duration::from_secs(120)).await;
    let (dead, _) = env.queue.dead(0, 1).await.unwrap();
    assert_eq!(dead, 0);
    // A success and the removal of the task's copies in apalis' storage are one script call.
    assert_eq!(
        env.apalis_leftovers(Queue::Diag).await,
        (0, 0, 0),
        "apalis storage after the drain (data, meta, in flight)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backlog_of_10000_delayed_jobs_due_at_once_drains_without_errors() {
    let env = common::Env::new().await;
    let jobs: Vec<Noop> = (0..10_000)
        .map(|i| Noop {
            tag: Some(i.to_string()),
        })
        .collect();
    let opts = EnqueueOptions {
        run_at: Some(chrono::Utc::now() + chrono::Duration::seconds(1)),
        ..Default::default()
    };
    let ids: Vec<JobId> = env
        .queue
        .enqueue_bulk(&jobs, opts)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job_id)
        .collect();
    // Let them all fall due before any worker exists.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let _w = env.spawn_workers(&[]);
    wait_all_succeeded(&env, &ids, Duration::from_secs(120)).await;
}
