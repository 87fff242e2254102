//! Redis Sentinel failover under load, with the real binary: two `workers` processes in sentinel mode
//! work through 10,000 jobs and run the scheduler while the replica is promoted (`SENTINEL FAILOVER`).
//! Processing resumes within 10 s, every job succeeds, no job runs twice beyond those in flight, and the
//! scheduler's ticks fire once each across the failover.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crm_queue::{EnqueueOptions, JobId};
use redis::AsyncCommands;
use shared::jobs::payloads::diag::Echo;
use shared::test_utils::SentinelGroup;

const JOBS: usize = 10_000;
/// Concurrency of the diag queue in each of the two processes.
const CONCURRENCY: u64 = 10;
const PROCESSES: u64 = 2;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sum of a metric's `job="…"` series over the processes' `/metrics`.
async fn metric(http: &reqwest::Client, ports: &[u16], name: &str, job: &str) -> u64 {
    let label = format!("job=\"{job}\"");
    let mut total = 0.0;
    for port in ports {
        let Ok(resp) = http
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        else {
            continue;
        };
        let text = resp.text().await.unwrap_or_default();
        total += text
            .lines()
            .filter(|l| {
                l.starts_with(name) && l[name.len()..].starts_with('{') && l.contains(&label)
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>();
    }
    total as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_mid_run_loses_no_job_and_runs_none_twice_beyond_those_in_flight() {
    let group = Arc::new(
        tokio::task::spawn_blocking(SentinelGroup::start)
            .await
            .unwrap(),
    );
    let env = common::Env::with_sentinel(&group).await;
    let jobs: Vec<Echo> = (0..JOBS)
        .map(|i| Echo {
            message: i.to_string(),
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
    assert_eq!(ids.len(), JOBS);

    let ports = [free_port(), free_port()];
    let concurrency = format!("diag={CONCURRENCY}");
    let mut workers: Vec<common::Worker> = ports
        .iter()
        .map(|port| {
            env.spawn_workers(&[
                ("WORKER_CONCURRENCY", concurrency.as_str()),
                ("METRICS_BIND", &format!("127.0.0.1:{port}")),
                ("SCHEDULER_ENABLED", "true"),
                ("SCHEDULE_DIAG_HEARTBEAT", "* * * * * *"),
                ("SCHEDULER_LEASE_MS", "1500"),
            ])
        })
        .collect();
    let http = reqwest::Client::new();
    let succeeded = || metric(&http, &ports, "jobs_succeeded_total", "diag.echo");

    let started = common::eventually(Duration::from_secs(60), || async {
        succeeded().await >= 2_000
    })
    .await;
    assert!(started, "the workers did not get going");

    // Promote the replica while jobs are running.
    let old = group.master_port().unwrap();
    let before = succeeded().await;
    let promoted_at = Instant::now();
    group.failover().unwrap();
    let g = group.clone();
    let writable = tokio::task::spawn_blocking(move || {
        g.wait_new_master(old, Duration::from_secs(30))
            .map(|_| Instant::now())
    });

    // Sample progress until every job is done: the longest pause after the promotion is the outage.
    let mut last = (promoted_at, before);
    let (mut stall, mut resumed_after) = (Duration::ZERO, Duration::ZERO);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let n = succeeded().await;
        let now = Instant::now();
        if n > last.1 {
            if now - last.0 > stall {
                stall = now - last.0;
                resumed_after = now - promoted_at;
            }
            last = (now, n);
        }
        if n >= JOBS as u64 {
            break;
        }
        assert!(
            now - last.0 < Duration::from_secs(30),
            "processing stopped at {n} of {JOBS} jobs"
        );
    }
    let writable_after = writable.await.unwrap().unwrap() - promoted_at;
    assert!(
        before < JOBS as u64,
        "the failover must happen mid-run ({before} done)"
    );

    // Every job succeeded, as the new master records it. The test's own connection may still be the one
    // the demoted primary closed: its first command fails (never resent, as it may have run) and the next
    // goes to the new master.
    let mut conn = env.queue.connection();
    let _ = redis::cmd("PING").query_async::<()>(&mut conn).await;
    // Jobs handed back after the failover (in flight on the old primary) may still be finishing.
    let deadline = Instant::now() + Duration::from_secs(60);
    let left = loop {
        let mut left = Vec::new();
        for chunk in ids.chunks(500) {
            let mut pipe = redis::pipe();
            for id in chunk {
                pipe.hget(env.queue.keys().job(id), "state");
            }
            let states: Vec<Option<String>> = pipe.query_async(&mut conn).await.unwrap();
            left.extend(
                chunk
                    .iter()
                    .zip(states)
                    .filter(|(_, s)| s.as_deref() != Some("succeeded")),
            );
        }
        if left.is_empty() || Instant::now() > deadline {
            break left;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        left.is_empty(),
        "{} jobs not succeeded: {:?}",
        left.len(),
        &left[..left.len().min(5)]
    );

    // Executions counted by the processes themselves (outside Redis): duplicates are bounded by the jobs
    // in flight at the promotion.
    // The exporter's summaries settle a moment after the last job.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let executions = metric(&http, &ports, "job_duration_seconds_count", "diag.echo").await;
    let duplicates = executions.saturating_sub(JOBS as u64);
    eprintln!(
        "failover: {before} of {JOBS} done at the promotion; new master writable after {writable_after:?}; \
         processing resumed after {resumed_after:?} (longest pause {stall:?}); {executions} executions, \
         {duplicates} duplicates"
    );
    assert!(executions >= JOBS as u64, "{executions} executions");
    assert!(
        duplicates <= CONCURRENCY * PROCESSES,
        "{duplicates} jobs ran twice (in flight at most {})",
        CONCURRENCY * PROCESSES
    );
    assert!(
        resumed_after < Duration::from_secs(10),
        "processing resumed {resumed_after:?} after the promotion"
    );

    // The scheduler kept firing through the failover, each tick once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let leader: Option<String> = conn.get(env.queue.keys().scheduler_leader()).await.unwrap();
    assert!(leader.is_some(), "no scheduler leader after the failover");
    for w in &mut workers {
        w.kill9();
    }
    let prefix = format!(
        "{}sched:diag.heartbeat:",
        env.queue.keys().idempotency_prefix()
    );
    let keys: Vec<String> = conn.keys(format!("{prefix}*")).await.unwrap();
    let ticks: BTreeSet<i64> = keys
        .iter()
        .filter_map(|k| k.strip_prefix(&prefix).and_then(|t| t.parse().ok()))
        .collect();
    let records: Vec<String> = conn
        .keys(env.queue.keys().job_prefix() + "*")
        .await
        .unwrap();
    let mut heartbeats = 0;
    for chunk in records.chunks(500) {
        let mut pipe = redis::pipe();
        for key in chunk {
            pipe.hget(key, "job");
        }
        let names: Vec<Option<String>> = pipe.query_async(&mut conn).await.unwrap();
        heartbeats += names
            .iter()
            .filter(|n| n.as_deref() == Some("diag.noop"))
            .count();
    }
    let promoted_ms = chrono::Utc::now().timestamp_millis()
        - i64::try_from(promoted_at.elapsed().as_millis()).unwrap();
    let after = ticks.iter().filter(|t| **t > promoted_ms + 1_000).count();
    eprintln!(
        "scheduler: {} ticks fired, {heartbeats} heartbeat jobs, {after} ticks after the failover",
        ticks.len()
    );
    assert_eq!(
        heartbeats,
        ticks.len(),
        "a tick fired twice or a job lacks its tick"
    );
    assert!(
        after >= 2,
        "the scheduler did not fire after the failover: {ticks:?}"
    );
}
