//! Failure semantics: transient retries up to exactly `max_attempts`, permanent errors straight to
//! dead-letter, requeue of dead jobs, and no hidden apalis retry loop.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_queue::{EnqueueOptions, JobState, RequeueOutcome};
use redis::AsyncCommands;
use shared::jobs::Queue;
use shared::jobs::payloads::diag::{Fail, Noop};

#[tokio::test(flavor = "multi_thread")]
async fn transient_failure_succeeds_on_third_attempt() {
    let env = common::Env::new().await;
    let _w = env.spawn_workers(&[]);
    let job = Fail {
        succeed_on_attempt: Some(3),
        permanent: false,
        backoff_ms: Some(50),
        succeed_after: None,
        throttle_ms: None,
    };
    let id = env.enqueue(&job).await;
    let rec = env
        .wait_state(&id, JobState::Succeeded, Duration::from_secs(20))
        .await;
    assert_eq!(rec.attempts, 3);
    assert_eq!(
        rec.errors.len(),
        2,
        "one error per failed attempt: {:?}",
        rec.errors
    );
    assert_eq!(rec.result.unwrap()["succeeded_on_attempt"], 3);

    // The batched success step expires the record and, after failed attempts, its errors list too, and
    // takes the job out of the running set.
    let keys = env.queue.keys().clone();
    let mut conn = env.queue.connection();
    let record_ttl: i64 = conn.ttl(keys.job(&id)).await.unwrap();
    let errors_ttl: i64 = conn.ttl(keys.job_errors(&id)).await.unwrap();
    assert!(record_ttl > 0, "record ttl {record_ttl}");
    assert!(errors_ttl > 0, "errors ttl {errors_ttl}");
    let running: Vec<String> = conn.smembers(keys.running(Queue::Diag)).await.unwrap();
    assert!(!running.contains(&id.to_string()), "{running:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_and_orphaned_tasks_are_skipped_without_running_the_job() {
    let env = common::Env::new().await;
    let job = Fail {
        succeed_on_attempt: Some(1),
        permanent: false,
        backoff_ms: None,
        succeed_after: None,
        throttle_ms: None,
    };
    let stale = env.enqueue(&job).await;
    let orphan = env.enqueue(&job).await;
    let normal = env.enqueue(&job).await;
    let keys = env.queue.keys().clone();
    let mut conn = env.queue.connection();
    // A newer attempt owns the stale job's record; the orphan's record is gone (expired or deleted).
    let _: () = conn
        .hset(keys.job(&stale), "task_id", "01J00000000000000000000000")
        .await
        .unwrap();
    let _: () = conn.del(keys.job(&orphan)).await.unwrap();

    let _w = env.spawn_workers(&[]);
    env.wait_state(&normal, JobState::Succeeded, Duration::from_secs(20))
        .await;
    let rec = env.record(&stale).await;
    assert_eq!(rec.state, JobState::Waiting, "{rec:?}");
    assert_eq!(rec.attempts, 0);
    assert!(rec.result.is_none());
    let exists: bool = conn.exists(keys.job(&orphan)).await.unwrap();
    assert!(
        !exists,
        "a skipped orphan task must not recreate its record"
    );
    let running: Vec<String> = conn.smembers(keys.running(Queue::Diag)).await.unwrap();
    assert!(running.is_empty(), "{running:?}");
    // Skipped tasks are forgotten too; only the stale job's own (newer) task id is not in apalis' storage.
    env.wait_no_apalis_leftovers(Queue::Diag, Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn always_failing_job_runs_exactly_max_attempts_then_dead_then_requeue() {
    let env = common::Env::new().await;
    let _w = env.spawn_workers(&[]);
    let job = Fail {
        succeed_on_attempt: None,
        permanent: false,
        backoff_ms: Some(20),
        succeed_after: None,
        throttle_ms: None,
    };
    let id = env.enqueue(&job).await;
    let rec = env
        .wait_state(&id, JobState::Dead, Duration::from_secs(20))
        .await;
    let max = shared::jobs::catalogue::find("diag.fail")
        .unwrap()
        .policy
        .max_attempts;
    assert_eq!(rec.attempts, max);
    assert_eq!(rec.errors.len() as u32, max);
    assert!(
        rec.last_error
            .as_deref()
            .unwrap()
            .contains(&format!("attempt {max}")),
        "{rec:?}"
    );

    // apalis-redis would re-schedule a failed task until attempt 25; nothing must come back.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rec = env.record(&id).await;
    assert_eq!(rec.state, JobState::Dead);
    assert_eq!(rec.attempts, max);
    let mut conn = env.queue.connection();
    let scheduled: u64 = conn
        .zcard(env.queue.keys().apalis_scheduled(Queue::Diag))
        .await
        .unwrap();
    assert_eq!(scheduled, 0, "apalis' own retry set must stay empty");

    let (total, dead) = env.queue.dead(0, 10).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(dead[0].id, id);
    // Every failed attempt's task (and the buried last one) left apalis' storage.
    env.wait_no_apalis_leftovers(Queue::Diag, Duration::from_secs(5))
        .await;

    assert_eq!(
        env.queue.requeue(&id).await.unwrap(),
        RequeueOutcome::Requeued
    );
    assert_eq!(
        env.queue.requeue(&id).await.unwrap(),
        RequeueOutcome::NotDead
    );
    let rec = env
        .wait_job(&id, Duration::from_secs(20), |r| {
            r.state == JobState::Dead && r.attempts == max
        })
        .await;
    assert!(rec.finished_at.is_some());
    env.wait_no_apalis_leftovers(Queue::Diag, Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_failure_goes_straight_to_dead_letter() {
    let env = common::Env::new().await;
    let _w = env.spawn_workers(&[]);
    let job = Fail {
        succeed_on_attempt: None,
        permanent: true,
        backoff_ms: None,
        succeed_after: None,
        throttle_ms: None,
    };
    let id = env.enqueue(&job).await;
    let rec = env
        .wait_state(&id, JobState::Dead, Duration::from_secs(20))
        .await;
    assert_eq!(rec.attempts, 1);
    assert!(rec.errors[0].permanent);
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_key_returns_the_first_job() {
    let env = common::Env::new().await;
    let opts = EnqueueOptions {
        idempotency_key: Some("once".into()),
        ..Default::default()
    };
    let a = env
        .queue
        .enqueue_json("diag.noop", serde_json::json!({}), opts.clone())
        .await
        .unwrap();
    let b = env
        .queue
        .enqueue_json("diag.noop", serde_json::json!({}), opts)
        .await
        .unwrap();
    assert!(!a.duplicate);
    assert!(b.duplicate);
    assert_eq!(a.job_id, b.job_id);
    let mut conn = env.queue.connection();
    let waiting: u64 = conn
        .llen(env.queue.keys().active(Queue::Diag))
        .await
        .unwrap();
    assert_eq!(waiting, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn delayed_job_waits_for_its_time_and_reports_progress() {
    let env = common::Env::new().await;
    let _w = env.spawn_workers(&[]);
    let run_at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let id = env
        .queue
        .enqueue_json(
            "diag.sleep",
            serde_json::json!({"millis": 300, "steps": 3}),
            EnqueueOptions {
                run_at: Some(run_at),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .job_id;
    assert_eq!(env.record(&id).await.state, JobState::Scheduled);
    let rec = env
        .wait_state(&id, JobState::Succeeded, Duration::from_secs(20))
        .await;
    assert!(rec.started_at.unwrap() >= run_at, "started before its time");
    let progress = rec.progress.unwrap();
    assert_eq!(progress.percent, 100);
    assert_eq!(progress.message.as_deref(), Some("step 3 of 3"));
}

/// apalis' orphan recovery requeues the in-flight tasks of a worker it presumes dead. Should that worker
/// still finish such a task, forgetting it must not delete the envelope the requeued copy needs.
#[tokio::test(flavor = "multi_thread")]
async fn forgetting_a_task_already_recovered_as_orphan_keeps_its_data() {
    let env = common::Env::new().await;
    let job = Noop::default();
    let recovered = env.enqueue(&job).await;
    let held = env.enqueue(&job).await;
    let keys = env.queue.keys().clone();
    let mut conn = env.queue.connection();
    let task_of = |id| {
        let mut conn = conn.clone();
        let key = keys.job(&id);
        async move { conn.hget::<_, _, String>(key, "task_id").await.unwrap() }
    };
    let (t_recovered, t_held) = (task_of(recovered).await, task_of(held).await);
    // Worker "w1" fetched both; `held` is still in its in-flight set, `recovered` was already put back on
    // the queue by orphan recovery (it left the set and is in the ready list).
    let inflight = keys.apalis_inflight(Queue::Diag, "w1");
    let _: () = conn
        .lrem(keys.active(Queue::Diag), 1, &t_held)
        .await
        .unwrap();
    let _: () = conn.sadd(&inflight, &t_held).await.unwrap();

    // Both tasks are in group 1: worker "w1" of the diag queue.
    let mut call = crm_queue::scripts::FORGET_MANY.prepare_invoke();
    call.key(&inflight).key(keys.data(Queue::Diag));
    for t in [&t_recovered, &t_held] {
        call.arg(t).arg(1);
    }
    let n: i64 = call.invoke_async(&mut conn).await.unwrap();
    assert_eq!(n, 2);

    let in_set: bool = conn.exists(&inflight).await.unwrap();
    assert!(!in_set, "the held task leaves the in-flight set");
    let data: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(keys.data(Queue::Diag))
        .arg(&t_recovered)
        .arg(&t_held)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(data[0].is_some(), "the recovered task keeps its data");
    assert!(data[1].is_none(), "the held task's data is gone");

    // The requeued copy still runs.
    let _w = env.spawn_workers(&[]);
    env.wait_state(&recovered, JobState::Succeeded, Duration::from_secs(20))
        .await;
}
