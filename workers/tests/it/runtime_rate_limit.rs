//! Global rate-limit buckets with the real binary: several worker processes share one bucket in Redis; a
//! throttled job waits for its turn without spending an attempt; a provider's 429 pauses the bucket.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::{Duration, Instant};

use crm_queue::{EnqueueOptions, JobId, JobState};
use shared::jobs::payloads::diag::{Fail, Noop};

/// The most starts in any window of `window_ms` (sliding, starting at each start).
fn max_in_window(mut starts: Vec<i64>, window_ms: i64) -> usize {
    starts.sort_unstable();
    let mut best = 0;
    let mut j = 0;
    for i in 0..starts.len() {
        while starts[i] - starts[j] >= window_ms {
            j += 1;
        }
        best = best.max(i - j + 1);
    }
    best
}

#[test]
fn window_counting_is_sliding() {
    assert_eq!(max_in_window(vec![0, 100, 999, 1_000, 1_001], 1_000), 4);
    assert_eq!(max_in_window(vec![0, 1_000, 2_000], 1_000), 1);
    assert_eq!(max_in_window((0..20).map(|i| i * 100).collect(), 1_000), 10);
    assert_eq!(max_in_window(vec![], 1_000), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_processes_share_a_ten_per_second_bucket() {
    let env = common::Env::new().await;
    let jobs: Vec<Noop> = (0..200)
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
    let vars = [
        ("WORKER_CONCURRENCY", "diag=20"),
        ("RATE_LIMIT_BUCKETS", "test=10/s"),
        ("RATE_LIMIT_JOBS", "diag.noop=test"),
    ];
    let _workers: Vec<common::Worker> = (0..3).map(|_| env.spawn_workers(&vars)).collect();
    let started = Instant::now();
    let done = common::eventually(Duration::from_secs(90), || async {
        let mut n = 0;
        for id in &ids {
            n += usize::from(env.record(id).await.state == JobState::Succeeded);
        }
        n == ids.len()
    })
    .await;
    assert!(done, "not every job succeeded");
    let mut starts = Vec::new();
    let mut throttled = 0;
    for id in &ids {
        let r = env.record(id).await;
        assert_eq!(
            r.attempts, 1,
            "a throttled start must not count as an attempt"
        );
        throttled += r.throttled;
        starts.push(r.started_at.expect("started").timestamp_millis());
    }
    let worst = max_in_window(starts.clone(), 1_000);
    assert!(worst <= 10, "{worst} starts within one second");
    assert!(throttled > 0, "200 jobs at 10/s must have waited");
    // 200 starts evenly spaced at 10/s take 19.9 s at least.
    let span = starts.iter().max().unwrap() - starts.iter().min().unwrap();
    assert!(span >= 19_000, "span {span} ms");
    assert!(started.elapsed() < Duration::from_secs(90));

    let buckets = env.queue.buckets().await.unwrap();
    let b = buckets
        .iter()
        .find(|b| b.name == "test")
        .expect("bucket listed");
    assert_eq!(
        (b.per_period, b.period_ms, b.limit.as_str()),
        (10, 1_000, "10/s")
    );
    assert_eq!(b.granted, 200);
    assert!(b.throttled >= u64::from(throttled));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_429_pauses_the_bucket_for_every_job() {
    let env = common::Env::new().await;
    let vars = [
        ("WORKER_CONCURRENCY", "diag=4"),
        ("RATE_LIMIT_BUCKETS", "provider=100/s"),
        ("RATE_LIMIT_JOBS", "diag.fail=provider"),
    ];
    let _workers = env.spawn_workers(&vars);
    // Answers 429 (Retry-After 1.5 s) until 1 s from now, then succeeds: one throttled run.
    let pause = Duration::from_millis(1_500);
    let first = env
        .enqueue(&Fail {
            succeed_on_attempt: None,
            permanent: false,
            backoff_ms: None,
            succeed_after: Some(chrono::Utc::now() + chrono::Duration::seconds(1)),
            throttle_ms: Some(pause.as_millis() as u64),
        })
        .await;
    let held = env
        .wait_job(&first, Duration::from_secs(20), |r| r.throttled == 1)
        .await;
    assert_eq!(held.attempts, 0, "the 429 attempt is handed back");
    let paused_at = chrono::Utc::now();
    // A job of the same bucket enqueued now waits for the pause to end.
    let second = env
        .enqueue(&Fail {
            succeed_on_attempt: Some(1),
            permanent: false,
            backoff_ms: None,
            succeed_after: None,
            throttle_ms: None,
        })
        .await;
    let view = env.queue.buckets().await.unwrap();
    let b = view.iter().find(|b| b.name == "provider").unwrap();
    assert!(b.paused_until.is_some() && b.tokens == 0.0, "{b:?}");
    let first = env
        .wait_state(&first, JobState::Succeeded, Duration::from_secs(20))
        .await;
    assert_eq!((first.attempts, first.throttled), (1, 1));
    let second = env
        .wait_state(&second, JobState::Succeeded, Duration::from_secs(20))
        .await;
    let waited = second.started_at.unwrap() - paused_at;
    // The pause began before `paused_at`; allow for that and for clock reading slack.
    assert!(
        waited >= chrono::Duration::milliseconds(1_000),
        "started {waited:?} after the pause began"
    );
    assert!(second.throttled >= 1);
}
