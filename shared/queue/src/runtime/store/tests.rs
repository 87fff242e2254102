//! The store's scripts against a real Redis, one namespace per test.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::time::Duration;

use crate::test_utils::TestRedis;
use crate::{EnqueueOptions, JobId, JobQueue, JobState, Keys};
use apalis_core::backend::persistence::Persistence;
use apalis_core::worker::context::WorkerContext;
use redis::AsyncCommands;
use shared::jobs::Queue;
use shared::jobs::payloads::diag::Noop;

use super::{QueueStore, StoreError};

const Q: Queue = Queue::Diag;

struct Fixture {
    _redis: TestRedis,
    queue: JobQueue,
    keys: Keys,
    conn: shared::redis_conn::RedisConn,
}

impl Fixture {
    async fn new() -> Self {
        let redis = TestRedis::new();
        let queue = redis.queue().await;
        let keys = queue.keys().clone();
        let conn = queue.connection();
        Self {
            _redis: redis,
            queue,
            keys,
            conn,
        }
    }

    fn store(&self, batch: usize) -> QueueStore {
        let config = apalis_redis::Config::default()
            .batch_size(batch)
            .heartbeat_interval(Duration::from_secs(5))
            .missed_heartbeats(3);
        QueueStore::new(&self.queue, Q, config)
    }

    async fn enqueue(&self, n: usize) -> Vec<JobId> {
        let mut ids = Vec::new();
        for _ in 0..n {
            let job = Noop::default();
            let e = self.queue.enqueue(&job, EnqueueOptions::default()).await;
            ids.push(e.unwrap().job_id);
        }
        ids
    }

    /// The task id of each job (its first attempt's task).
    async fn task_of(&self, id: &JobId) -> String {
        self.conn
            .clone()
            .hget(self.keys.job(id), "task_id")
            .await
            .unwrap()
    }

    async fn ready(&self) -> Vec<String> {
        self.conn
            .clone()
            .lrange(self.keys.active(Q), 0, -1)
            .await
            .unwrap()
    }

    async fn inflight(&self, worker: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .conn
            .clone()
            .smembers(self.keys.apalis_inflight(Q, worker))
            .await
            .unwrap();
        v.sort();
        v
    }

    async fn heartbeat_of(&self, worker: &str) -> Option<f64> {
        self.conn
            .clone()
            .zscore(self.keys.apalis_workers(Q), worker)
            .await
            .unwrap()
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn fetch_takes_a_batch_in_order_into_the_workers_inflight_set() {
    let f = Fixture::new().await;
    let ids = f.enqueue(3).await;
    let mut store = f.store(2);
    let w = WorkerContext::new("w1");
    store.register(&w).await.unwrap();

    let tasks = store.fetch_next(&w).await.unwrap();
    let got: Vec<JobId> = tasks.iter().map(|t| t.args.job_id).collect();
    assert_eq!(got, ids[..2]);
    let mut expected = vec![f.task_of(&ids[0]).await, f.task_of(&ids[1]).await];
    expected.sort();
    assert_eq!(f.inflight("w1").await, expected);
    assert_eq!(f.ready().await, vec![f.task_of(&ids[2]).await]);
    assert_eq!(
        tasks[0].task_id().map(|t| t.to_string()),
        Some(f.task_of(&ids[0]).await),
        "apalis sees the task id"
    );
    // No per-task meta hash is read or written.
    let metas: Vec<String> = f
        .conn
        .clone()
        .keys(format!("{}:meta:*", f.keys.apalis_queue(Q)))
        .await
        .unwrap();
    assert!(metas.is_empty(), "{metas:?}");

    assert_eq!(store.fetch_next(&w).await.unwrap().len(), 1);
    assert!(store.fetch_next(&w).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unregistered_worker_is_refused_at_fetch_and_heartbeat() {
    let f = Fixture::new().await;
    f.enqueue(1).await;
    let mut store = f.store(10);
    let w = WorkerContext::new("never-registered");
    let err = store.fetch_next(&w).await.unwrap_err();
    assert!(err.to_string().contains("not registered"), "{err}");
    let err = store.heartbeat(&w).await.unwrap_err();
    assert!(err.to_string().contains("not registered"), "{err}");
    assert_eq!(f.ready().await.len(), 1, "a refused fetch takes nothing");
}

#[tokio::test]
async fn register_refuses_a_live_name_and_takes_back_a_stale_holders_tasks() {
    let f = Fixture::new().await;
    let ids = f.enqueue(2).await;
    let (t0, t1) = (f.task_of(&ids[0]).await, f.task_of(&ids[1]).await);
    let mut conn = f.conn.clone();
    let mut store = f.store(10);

    let live = WorkerContext::new("live");
    store.register(&live).await.unwrap();
    let err = store.register(&live).await.unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");

    // "stale" last beat 100 s ago while holding t0 (taken off the ready list).
    let _: () = conn.lrem(f.keys.active(Q), 1, &t0).await.unwrap();
    let _: () = conn
        .sadd(f.keys.apalis_inflight(Q, "stale"), &t0)
        .await
        .unwrap();
    let _: () = conn
        .zadd(f.keys.apalis_workers(Q), "stale", now_secs() - 100)
        .await
        .unwrap();
    store.register(&WorkerContext::new("stale")).await.unwrap();
    assert_eq!(f.ready().await, vec![t1, t0], "back at the tail");
    assert!(f.inflight("stale").await.is_empty());
    let beat = f.heartbeat_of("stale").await.unwrap();
    assert!(beat as i64 >= now_secs() - 2, "registered now: {beat}");
}

#[tokio::test]
async fn heartbeat_requeues_the_tasks_of_silent_workers_only() {
    let f = Fixture::new().await;
    let ids = f.enqueue(3).await;
    let mut store = f.store(1);
    let me = WorkerContext::new("me");
    let quiet = WorkerContext::new("quiet");
    store.register(&me).await.unwrap();
    store.register(&quiet).await.unwrap();
    let mine = store.fetch_next(&me).await.unwrap();
    let theirs = store.fetch_next(&quiet).await.unwrap();
    assert_eq!((mine.len(), theirs.len()), (1, 1));

    // Nobody is silent yet: nothing moves.
    store.heartbeat(&me).await.unwrap();
    assert_eq!(f.ready().await.len(), 1);

    // "quiet" last beat 16 s ago: beyond heartbeat (5 s) x missed (3).
    let _: () = f
        .conn
        .clone()
        .zadd(f.keys.apalis_workers(Q), "quiet", now_secs() - 16)
        .await
        .unwrap();
    store.heartbeat(&me).await.unwrap();
    assert_eq!(
        f.ready().await,
        vec![f.task_of(&ids[2]).await, f.task_of(&ids[1]).await],
        "the silent worker's task goes to the tail"
    );
    assert!(f.inflight("quiet").await.is_empty());
    assert_eq!(f.heartbeat_of("quiet").await, None);
    assert_eq!(f.inflight("me").await, vec![f.task_of(&ids[0]).await]);
    // The silent worker cannot carry on under its name.
    assert!(store.fetch_next(&quiet).await.is_err());
}

#[tokio::test]
async fn unstarted_tasks_go_back_to_the_head_in_fetch_order() {
    let f = Fixture::new().await;
    let ids = f.enqueue(4).await;
    let mut store = f.store(3);
    let w = WorkerContext::new("w");
    store.register(&w).await.unwrap();
    let mut tasks = store.fetch_next(&w).await.unwrap();
    assert_eq!(tasks.len(), 3);
    // The first one started and finished (its forget removed it from the in-flight set); the others are
    // handed back, plus the first again, which must not be duplicated.
    let first = tasks.remove(0);
    let _: () = f
        .conn
        .clone()
        .srem(f.keys.apalis_inflight(Q, "w"), f.task_of(&ids[0]).await)
        .await
        .unwrap();
    tasks.push(first);
    let n = store.reenqueue_abandoned(tasks, &w).await.unwrap();
    assert_eq!(n, 2);
    let mut expected = Vec::new();
    for id in &ids[1..] {
        expected.push(f.task_of(id).await);
    }
    assert_eq!(f.ready().await, expected);
    assert!(f.inflight("w").await.is_empty());
}

#[tokio::test]
async fn bad_envelopes_are_quarantined_and_missing_ones_dropped() {
    let f = Fixture::new().await;
    let ids = f.enqueue(1).await;
    let good = f.task_of(&ids[0]).await;
    let mut conn = f.conn.clone();
    let data = f.keys.data(Q);
    // Ahead of the good task: an envelope that is not JSON, one that names another task, and an id whose
    // envelope is gone.
    let garbage = ulid::Ulid::new().to_string();
    let other = ulid::Ulid::new().to_string();
    let gone = ulid::Ulid::new().to_string();
    let envelope: String = conn.hget(&data, &good).await.unwrap();
    let _: () = conn.hset(&data, &garbage, "{not json").await.unwrap();
    let _: () = conn.hset(&data, &other, &envelope).await.unwrap();
    let _: () = conn
        .lpush(f.keys.active(Q), vec![&gone, &other, &garbage])
        .await
        .unwrap();

    let mut store = f.store(10);
    let w = WorkerContext::new("w");
    store.register(&w).await.unwrap();
    let tasks = store.fetch_next(&w).await.unwrap();
    let got: Vec<JobId> = tasks.iter().map(|t| t.args.job_id).collect();
    assert_eq!(got, ids, "only the good task runs");
    assert_eq!(f.inflight("w").await, vec![good.clone()]);
    assert!(f.ready().await.is_empty());
    let left: Vec<String> = conn.hkeys(&data).await.unwrap();
    assert_eq!(left, vec![good]);
    let mut quarantined: Vec<(String, String)> = conn.hgetall(f.keys.malformed(Q)).await.unwrap();
    quarantined.sort();
    let mut expected = vec![(garbage, "{not json".to_string()), (other, envelope)];
    expected.sort();
    assert_eq!(quarantined, expected, "raw envelopes kept for operators");
}

#[tokio::test]
async fn a_job_whose_envelope_is_damaged_goes_dead_and_runs_again_from_its_record() {
    let f = Fixture::new().await;
    let ids = f.enqueue(2).await;
    let (a, b) = (ids[0], ids[1]);
    let (task_a, task_b) = (f.task_of(&a).await, f.task_of(&b).await);
    let mut conn = f.conn.clone();
    let data = f.keys.data(Q);
    // Job a's envelope is damaged; job b's is JSON naming b but another task (another release's shape);
    // a third task belongs to no job at all.
    let stray = ulid::Ulid::new().to_string();
    let _: () = conn.hset(&data, &task_a, "{\"job_id\": tr").await.unwrap();
    let foreign = format!(r#"{{"job_id":"{b}","task_id":"{}"}}"#, ulid::Ulid::new());
    let _: () = conn.hset(&data, &task_b, &foreign).await.unwrap();
    let _: () = conn.hset(&data, &stray, "[]").await.unwrap();
    let _: () = conn.rpush(f.keys.active(Q), &stray).await.unwrap();

    let mut store = f.store(10);
    let w = WorkerContext::new("w");
    store.register(&w).await.unwrap();
    assert!(store.fetch_next(&w).await.unwrap().is_empty());
    assert!(f.inflight("w").await.is_empty());

    for id in [a, b] {
        let rec = f.queue.get(&id).await.unwrap().unwrap();
        assert_eq!(rec.state, JobState::Dead, "job {id}");
        assert_eq!(rec.last_error.as_deref(), Some(crate::UNREADABLE_ENVELOPE));
        assert!(rec.errors[0].permanent);
    }
    let dead: Vec<String> = conn.zrange(f.keys.dead(), 0, -1).await.unwrap();
    assert_eq!(dead.len(), 2, "the stray task has no job to bury");

    // Listing: all three set aside, each with the job it names, none with its content.
    let (total, listed) = f.queue.malformed(Q, 10).await.unwrap();
    assert_eq!(total, 3);
    let mut named: Vec<(String, Option<String>, bool)> = listed
        .iter()
        .map(|m| (m.task_id.clone(), m.job_id.clone(), m.json))
        .collect();
    named.sort();
    let mut expected = vec![
        (task_a.clone(), Some(a.to_string()), false),
        (task_b.clone(), Some(b.to_string()), true),
        (stray.clone(), None, true),
    ];
    expected.sort();
    assert_eq!(named, expected);

    // Requeued from its record, job a gets a fresh envelope that decodes.
    assert_eq!(
        f.queue.requeue(&a).await.unwrap(),
        crate::RequeueOutcome::Requeued
    );
    let tasks = store.fetch_next(&w).await.unwrap();
    assert_eq!(
        tasks.iter().map(|t| t.args.job_id).collect::<Vec<_>>(),
        vec![a]
    );

    // An operator discards a set-aside envelope once; the second time it is gone.
    assert!(f.queue.discard_malformed(Q, &task_a).await.unwrap());
    assert!(!f.queue.discard_malformed(Q, &task_a).await.unwrap());
    assert_eq!(f.queue.malformed(Q, 10).await.unwrap().0, 2);
}

#[tokio::test]
async fn tasks_are_not_pushed_through_apalis() {
    let f = Fixture::new().await;
    let mut store = f.store(10);
    let err = store.push_tasks(Vec::new()).await.unwrap_err();
    assert!(matches!(err, StoreError::PushUnsupported));
}

#[test]
fn our_keys_are_apalis_redis_keys() {
    let keys = Keys::new("crm");
    let config = apalis_redis::Config::default().queue(keys.apalis_queue(Q));
    let w = WorkerContext::new("w1");
    assert_eq!(keys.active(Q), config.active_jobs_list());
    assert_eq!(keys.data(Q), config.job_data_hash());
    assert_eq!(keys.apalis_workers(Q), config.workers_set());
    assert_eq!(keys.apalis_inflight(Q, "w1"), config.inflight_set_for(&w));
}
