//! Crash and shutdown safety with the real binary: kill -9 mid-batch loses nothing; SIGTERM finishes or
//! releases in-flight jobs; a restarted Redis is picked up again without restarting the process.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crm_queue::test_utils::TestRedis;
use crm_queue::{EnqueueOptions, JobId, JobState};
use shared::jobs::payloads::diag::{Noop, Sleep};

fn sleeps(n: usize, millis: u64) -> Vec<Sleep> {
    (0..n)
        .map(|i| Sleep {
            millis,
            steps: None,
            tag: Some(i.to_string()),
        })
        .collect()
}

async fn count_state(env: &common::Env, ids: &[JobId], state: JobState) -> usize {
    let mut n = 0;
    for id in ids {
        if env.record(id).await.state == state {
            n += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_batch_loses_no_job() {
    let env = common::Env::new().await;
    let ids: Vec<JobId> = env
        .queue
        // 120 x 500 ms over 20 slots: about 3 s of work, so the batch is still running when the checks below
        // (one Redis round trip per job) are done, even on a loaded machine.
        .enqueue_bulk(&sleeps(120, 500), EnqueueOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job_id)
        .collect();
    let mut first = env.spawn_workers(&[("WORKER_CONCURRENCY", "diag=20")]);
    let ok = common::eventually(Duration::from_secs(20), || async {
        count_state(&env, &ids, JobState::Succeeded).await >= 20
    })
    .await;
    assert!(ok, "first worker made no progress");
    assert!(
        count_state(&env, &ids, JobState::Running).await > 0,
        "kill must happen mid-batch"
    );
    first.kill9();
    let _second = env.spawn_workers(&[("WORKER_CONCURRENCY", "diag=20")]);
    let ok = common::eventually(Duration::from_secs(60), || async {
        count_state(&env, &ids, JobState::Succeeded).await == ids.len()
    })
    .await;
    assert!(ok, "jobs lost after kill -9");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_in_flight_jobs_before_exit() {
    let env = common::Env::new().await;
    let ids: Vec<JobId> = env
        .queue
        .enqueue_bulk(&sleeps(30, 1_000), EnqueueOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job_id)
        .collect();
    let mut w = env.spawn_workers(&[
        ("WORKER_CONCURRENCY", "diag=5"),
        ("WORKER_SHUTDOWN_GRACE_SECS", "20"),
    ]);
    let ok = common::eventually(Duration::from_secs(20), || async {
        count_state(&env, &ids, JobState::Running).await >= 5
    })
    .await;
    assert!(ok);
    let mut running = Vec::new();
    for id in &ids {
        if env.record(id).await.state == JobState::Running {
            running.push(*id);
        }
    }
    w.signal("TERM");
    let status = w.wait_exit(Duration::from_secs(25));
    assert!(status.success(), "{status:?}");
    for id in &running {
        assert_eq!(
            env.record(id).await.state,
            JobState::Succeeded,
            "in-flight job not finished"
        );
    }
    // Nothing lost: a new worker finishes the rest.
    let _w2 = env.spawn_workers(&[("WORKER_CONCURRENCY", "diag=30")]);
    let ok = common::eventually(Duration::from_secs(30), || async {
        count_state(&env, &ids, JobState::Succeeded).await == ids.len()
    })
    .await;
    assert!(ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_past_the_deadline_releases_in_flight_jobs_at_once() {
    let env = common::Env::new().await;
    let ids: Vec<JobId> = env
        .queue
        .enqueue_bulk(&sleeps(3, 4_000), EnqueueOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job_id)
        .collect();
    // Orphan recovery would take 60 s here: only the release can explain a quick restart.
    let slow_orphans = [
        ("WORKER_MISSED_HEARTBEATS", "60"),
        ("WORKER_SHUTDOWN_GRACE_SECS", "1"),
    ];
    let mut w = env.spawn_workers(&slow_orphans);
    let ok = common::eventually(Duration::from_secs(20), || async {
        count_state(&env, &ids, JobState::Running).await == 3
    })
    .await;
    assert!(ok);
    w.signal("TERM");
    let status = w.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let _w2 = env.spawn_workers(&slow_orphans);
    let started = Instant::now();
    let ok = common::eventually(Duration::from_secs(20), || async {
        count_state(&env, &ids, JobState::Succeeded).await == 3
    })
    .await;
    assert!(ok, "released jobs not picked up");
    assert!(started.elapsed() < Duration::from_secs(15));
    for id in &ids {
        assert_eq!(
            env.record(id).await.attempts,
            2,
            "each job ran once, was released, ran again"
        );
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a throwaway Redis on `port`; with `aof`, every write is fsynced to `dir` and survives a restart.
fn start_redis(port: u16, dir: &std::path::Path, aof: bool) {
    let status = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            if aof { "yes" } else { "no" },
            "--appendfsync",
            "always",
        ])
        .args(["--daemonize", "yes", "--dir", &dir.display().to_string()])
        .args(["--pidfile", &dir.join("redis.pid").display().to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("redis-server on PATH");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stop_redis(port: u16) {
    let _ = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "shutdown", "nosave"])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "redis did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn processing_resumes_after_a_redis_restart_without_process_restart() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("crm-redis-restart-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    start_redis(port, &dir, false);
    let env =
        common::Env::with_redis(TestRedis::with_url(format!("redis://127.0.0.1:{port}"))).await;
    let mut w = env.spawn_workers(&[]);
    let id = env.enqueue(&Noop::default()).await;
    env.wait_state(&id, JobState::Succeeded, Duration::from_secs(10))
        .await;

    // Restart without persistence: Redis forgets the queue, the worker registrations, everything.
    stop_redis(port);
    tokio::time::sleep(Duration::from_secs(1)).await;
    start_redis(port, &dir, false);
    let restarted = Instant::now();
    let mut resumed = None;
    while restarted.elapsed() < Duration::from_secs(15) {
        if let Ok(e) = env
            .queue
            .enqueue(&Noop::default(), EnqueueOptions::default())
            .await
        {
            let ok = common::eventually(Duration::from_millis(1_500), || async {
                matches!(env.queue.get(&e.job_id).await, Ok(Some(r)) if r.state == JobState::Succeeded)
            })
            .await;
            if ok {
                resumed = Some(restarted.elapsed());
                break;
            }
        }
    }
    let resumed = resumed.expect("processing did not resume after the Redis restart");
    eprintln!("processing resumed {resumed:?} after the Redis restart");
    assert!(
        resumed < Duration::from_secs(10),
        "resumed after {resumed:?}"
    );
    assert!(w.is_running(), "the worker process must not have exited");
    stop_redis(port);
}

/// A job that finishes while Redis is down for longer than the executor's bookkeeping retries (about 9 s)
/// is handed back to its queue once Redis returns, runs again and succeeds; nothing stays in apalis' storage.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_finishing_during_a_long_redis_outage_runs_again_once_redis_is_back() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("crm-redis-outage-{port}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    start_redis(port, &dir, true);
    let env =
        common::Env::with_redis(TestRedis::with_url(format!("redis://127.0.0.1:{port}"))).await;
    let mut w = env.spawn_workers(&[]);
    let id = env
        .queue
        .enqueue(&sleeps(1, 1_500).remove(0), EnqueueOptions::default())
        .await
        .unwrap()
        .job_id;
    env.wait_state(&id, JobState::Running, Duration::from_secs(10))
        .await;

    // Down while the job runs, and for longer than the bookkeeping retries after it finished.
    stop_redis(port);
    tokio::time::sleep(Duration::from_secs(13)).await;
    start_redis(port, &dir, true);

    // The test's own connection reconnects too: the first reads after the restart may fail.
    let succeeded = common::eventually(Duration::from_secs(30), || async {
        matches!(env.queue.get(&id).await, Ok(Some(r)) if r.state == JobState::Succeeded)
    })
    .await;
    assert!(succeeded, "job not run again after the outage");
    let rec = env.record(&id).await;
    assert_eq!(
        rec.attempts, 2,
        "the attempt whose outcome was lost counts: {rec:?}"
    );
    env.wait_no_apalis_leftovers(shared::jobs::Queue::Diag, Duration::from_secs(10))
        .await;
    assert!(w.is_running(), "the worker process must not have exited");
    stop_redis(port);
    let _ = std::fs::remove_dir_all(&dir);
}
