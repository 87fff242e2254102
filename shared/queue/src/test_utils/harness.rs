//! Tests that run the real `workers` binary against real Postgres and Redis: a database, a Redis
//! namespace and the environment for worker processes, and the processes themselves.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: a failure is the test's"
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{JobId, JobQueue, JobRecord, JobState};
use shared::jobs::Queue;
use shared::test_utils::TestDb;

use super::TestRedis;

/// A database, a Redis namespace and the env for worker processes using them.
pub struct Env {
    pub db: TestDb,
    pub redis: TestRedis,
    pub queue: JobQueue,
    pub vars: HashMap<String, String>,
}

impl Env {
    pub async fn new() -> Self {
        Self::with_redis(TestRedis::new()).await
    }

    pub async fn with_redis(redis: TestRedis) -> Self {
        let db = TestDb::new();
        let queue = redis.queue().await;
        let mut vars = HashMap::new();
        for (k, v) in [
            ("DATABASE_URL", db.url().to_string()),
            ("REDIS_URL", redis.url().to_string()),
            ("REDIS_NAMESPACE", redis.namespace().to_string()),
            ("METRICS_BIND", String::new()),
            ("WORKER_HEARTBEAT_SECS", "1".into()),
            ("WORKER_MISSED_HEARTBEATS", "3".into()),
            ("WORKER_POLL_FALLBACK_MS", "1000".into()),
            ("WORKER_SHUTDOWN_GRACE_SECS", "10".into()),
            ("SCHEDULER_ENABLED", "false".into()),
            // Dovecot and the mock servers of tests listen on 127.0.0.1.
            ("EGRESS_ALLOW_CIDRS", "127.0.0.1/32".into()),
            ("IMAP_ALLOW_PLAINTEXT", "true".into()),
            ("RUST_LOG", "warn".into()),
            (
                "BACKUP_DIR",
                std::env::temp_dir()
                    .join(redis.namespace())
                    .display()
                    .to_string(),
            ),
        ] {
            vars.insert(k.to_string(), v);
        }
        Self {
            db,
            redis,
            queue,
            vars,
        }
    }

    /// An env in sentinel mode on `group`: this env's queue and the worker processes find the master
    /// through the sentinels (`REDIS_URL` names no server).
    pub async fn with_sentinel(group: &shared::test_utils::SentinelGroup) -> Self {
        let port = group.master_port().expect("a master");
        let mut env = Self::with_redis(TestRedis::with_url(
            shared::test_utils::SentinelGroup::node_url(port),
        ))
        .await;
        let conn = shared::redis_conn::connect(&group.target())
            .await
            .expect("the sentinel group's master");
        env.queue = JobQueue::new(conn, env.redis.keys(), Duration::from_secs(3_600));
        env.vars.extend(group.env());
        env
    }

    /// Starts a `workers` process with this env plus `extra`.
    pub fn spawn_workers(&self, extra: &[(&str, &str)]) -> Worker {
        self.spawn_workers_to(extra, Stdio::null(), Stdio::inherit())
    }

    /// Like [`Env::spawn_workers`], every log line (stdout and stderr) going to the file `log`.
    pub fn spawn_workers_logged(&self, extra: &[(&str, &str)], log: &std::path::Path) -> Worker {
        let file = std::fs::File::create(log).expect("create the workers log");
        let err = file.try_clone().expect("clone the log file");
        self.spawn_workers_to(extra, Stdio::from(file), Stdio::from(err))
    }

    fn spawn_workers_to(&self, extra: &[(&str, &str)], stdout: Stdio, stderr: Stdio) -> Worker {
        let mut cmd = Command::new(workers_bin());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(&self.vars)
            .envs(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        Worker {
            child: Some(cmd.spawn().expect("spawn workers")),
        }
    }

    /// Enqueues `job` now, with default options.
    pub async fn enqueue<J: shared::jobs::Job>(&self, job: &J) -> JobId {
        self.queue
            .enqueue(job, crate::EnqueueOptions::default())
            .await
            .unwrap()
            .job_id
    }

    pub async fn record(&self, id: &JobId) -> JobRecord {
        self.queue.get(id).await.unwrap().expect("job record")
    }

    /// Waits until `f` holds for the job, or panics after `timeout` with the last record.
    pub async fn wait_job(
        &self,
        id: &JobId,
        timeout: Duration,
        f: impl Fn(&JobRecord) -> bool,
    ) -> JobRecord {
        let deadline = Instant::now() + timeout;
        loop {
            let rec = self.record(id).await;
            if f(&rec) {
                return rec;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on job: {rec:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_state(&self, id: &JobId, state: JobState, timeout: Duration) -> JobRecord {
        self.wait_job(id, timeout, |r| r.state == state).await
    }

    /// What the queue storage of `queue` still holds: task ids in the data hash, per-task meta hashes (the
    /// layout apalis-redis' own fetch needs; our store never writes them, so any is a regression), and task
    /// ids in workers' in-flight sets. All three are 0 once every task has ended (the worker forgets each task
    /// when it records the outcome).
    pub async fn apalis_leftovers(&self, queue: Queue) -> (usize, usize, usize) {
        use redis::AsyncCommands;
        let keys = self.queue.keys();
        let mut conn = self.queue.connection();
        let data: usize = conn.hlen(keys.data(queue)).await.unwrap();
        let metas: Vec<String> =
            scan(&mut conn, &format!("{}:meta:*", keys.apalis_queue(queue))).await;
        let mut inflight = 0;
        for set in scan(&mut conn, &keys.apalis_inflight(queue, "*")).await {
            inflight += conn.scard::<_, usize>(&set).await.unwrap();
        }
        (data, metas.len(), inflight)
    }

    /// Waits until apalis' storage of `queue` is empty, or panics with what is left.
    pub async fn wait_no_apalis_leftovers(&self, queue: Queue, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = self.apalis_leftovers(queue).await;
            if left == (0, 0, 0) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "apalis storage not emptied (data, meta, in flight): {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn scan(conn: &mut shared::redis_conn::RedisConn, pattern: &str) -> Vec<String> {
    use futures::StreamExt;
    use redis::AsyncCommands;
    let iter: redis::AsyncIter<'_, String> = conn.scan_match(pattern).await.unwrap();
    let keys: Vec<redis::RedisResult<String>> = iter.collect().await;
    keys.into_iter().map(|k| k.unwrap()).collect()
}

/// A running worker process; killed on drop.
pub struct Worker {
    child: Option<Child>,
}

impl Worker {
    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    pub fn kill9(&mut self) {
        self.signal("KILL");
        let _ = self.child.as_mut().unwrap().wait();
        self.child = None;
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Waits for exit up to `timeout`; returns the exit status.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut().unwrap();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status;
            }
            assert!(Instant::now() < deadline, "worker did not exit in time");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Polls `f` until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

/// The `workers` binary of this build: `CRM_WORKERS_BIN`, else `workers` beside the test executable's
/// folder (`target/<profile>/deps/..`), where cargo puts it when it builds a workspace's tests.
pub fn workers_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CRM_WORKERS_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("workers"))
        .expect("target directory of the test executable");
    assert!(
        bin.is_file(),
        "{} not built: run the workspace's tests (`cargo nextest run --workspace`) or set CRM_WORKERS_BIN",
        bin.display()
    );
    bin
}
