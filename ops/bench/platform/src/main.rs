//! `bench`: measures the platform's own enqueue and worker path with no-op jobs (`diag.noop`).
//!
//! Driven by `ops/bench/run`, which builds the release binaries, provides Redis and Postgres on loopback and
//! merges this program's JSON with the Celery peer's. Phases, each against its own Redis namespace:
//!
//! 1. idle pickup: one job at a time with pauses, latency = `started_at - created_at` of the job records;
//! 2. sustained: in-process producers call `enqueue_bulk` while the ready list is shorter than `--max-waiting`
//!    and one `workers` process consumes; afterwards every job record is read: completions are the records
//!    whose `finished_at` falls in the `--duration` window, latency under load comes from those created in it;
//! 3. Redis commands per job: `CONFIG RESETSTAT`, `--cmd-jobs` jobs until apalis' copies of the finished tasks
//!    are gone (the worker forgets each task when it records the outcome), `INFO commandstats`, minus the driver's own progress polls;
//!    Then the API alone under HTTP load (`api_load`): signed-in viewers polling a job's status and
//!    liveness probes, with the `api` process's RSS and CPU;
//! 4. backlog: `--backlog` jobs enqueued with no worker, then a fresh worker drains them; every record is
//!    checked afterwards (zero dead, retrying or missing records required).
//!
//! RSS comes from `/proc/<pid>/status` of the spawned `workers` (and `api`, when it runs) processes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measurement tool: a broken setup must stop the run loudly rather than produce figures"
)]

mod api_load;
mod procfs;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use procfs::{clock_ticks_per_sec, cpu_ticks, cpu_ticks_named, host_jiffies, mib, rss_kib};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use crm_queue::{EnqueueOptions, JobId, JobQueue, Keys, now_ms};
use diesel::{Connection, PgConnection};
use redis::aio::ConnectionManager;
use serde_json::{Value, json};
use shared::jobs::Queue;
use shared::jobs::payloads::diag::Noop;
use shared::scratch_db::ScratchDb;

#[derive(Debug, Parser)]
#[command(about = "No-op job benchmark of the platform's enqueue and worker path")]
struct Args {
    /// Path of the release `workers` binary.
    #[arg(long)]
    workers_bin: PathBuf,
    /// Path of the release `api` binary (optional: its RSS is reported when it starts and stays up).
    #[arg(long)]
    api_bin: Option<PathBuf>,
    #[arg(long, env = "REDIS_URL")]
    redis_url: String,
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Measurement window of the sustained phase, seconds.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Warm-up before the sustained window, seconds.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Jobs per `enqueue_bulk` call of the producers.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Number of producer tasks.
    #[arg(long, default_value_t = 2)]
    producers: usize,
    /// Producers pause while the ready list holds this many jobs or more.
    #[arg(long, default_value_t = 500)]
    max_waiting: u64,
    /// `WORKER_CONCURRENCY` of the diag queue.
    #[arg(long, default_value_t = 500)]
    concurrency: usize,
    /// Jobs of the idle-pickup phase.
    #[arg(long, default_value_t = 300)]
    idle_jobs: usize,
    /// Jobs of the Redis-commands phase.
    #[arg(long, default_value_t = 20_000)]
    cmd_jobs: u64,
    /// Jobs of the backlog phase.
    #[arg(long, default_value_t = 100_000)]
    backlog: usize,
    /// Give up waiting for the backlog to drain after this many seconds (keeps the whole run bounded).
    #[arg(long, default_value_t = 120)]
    backlog_timeout: u64,
    /// Extra `KEY=VALUE` environment for the spawned `workers` processes (repeatable), for experiments such
    /// as `--worker-env WORKER_POLL_FALLBACK_MS=50`.
    #[arg(long = "worker-env", value_parser = parse_kv)]
    worker_env: Vec<(String, String)>,
    /// `RUST_LOG` of the spawned processes.
    #[arg(long, default_value = "warn")]
    rust_log: String,
    /// Where the spawned processes' stderr goes.
    #[arg(long, default_value = "/tmp")]
    log_dir: PathBuf,
    /// JSON results file.
    #[arg(long)]
    out: PathBuf,
    /// Run only a sustained window (fresh database, namespace and `workers` process), for the extra rounds
    /// `ops/bench/run` alternates with Celery's.
    #[arg(long)]
    sustained_only: bool,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

/// A spawned process, killed on drop.
struct Proc {
    child: Child,
    name: &'static str,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGTERM, then SIGKILL after `grace`.
    fn stop(mut self, grace: Duration) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("bench: {} did not stop in time; killing it", self.name);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn base_env(args: &Args, ns: &str) -> Vec<(String, String)> {
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("DATABASE_URL", args.database_url.clone()),
        ("REDIS_URL", args.redis_url.clone()),
        ("REDIS_NAMESPACE", ns.to_owned()),
        ("RUST_LOG", args.rust_log.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn spawn(
    args: &Args,
    name: &'static str,
    bin: &PathBuf,
    env: Vec<(String, String)>,
    log: &str,
) -> anyhow::Result<Proc> {
    let log_path = args.log_dir.join(log);
    let log_file = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let child = Command::new(bin)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("spawning {}", bin.display()))?;
    Ok(Proc { child, name })
}

fn spawn_worker(args: &Args, ns: &str, log: &str) -> anyhow::Result<Proc> {
    let mut env = base_env(args, ns);
    for (k, v) in [
        ("METRICS_BIND", String::new()),
        ("SCHEDULER_ENABLED", "false".into()),
        (
            "WORKER_CONCURRENCY",
            format!("maint=1,diag={},default=8", args.concurrency),
        ),
    ] {
        env.push((k.to_owned(), v));
    }
    env.extend(args.worker_env.iter().cloned());
    spawn(args, "workers", &args.workers_bin, env, log)
}

/// Starts the API when its binary exists; `Err(reason)` when it cannot be measured.
fn spawn_api(args: &Args, ns: &str) -> Result<(Proc, u16), String> {
    let Some(bin) = &args.api_bin else {
        return Err("api binary not built or not measured in this run".into());
    };
    if !bin.exists() {
        return Err(format!("{} not built", bin.display()));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    let secret: String = (0..48)
        .map(|_| char::from(b'a' + rand::random::<u8>() % 26))
        .collect();
    let mut env = base_env(args, ns);
    env.push(("API_BIND".into(), format!("127.0.0.1:{port}")));
    env.push(("API_PUBLIC_URL".into(), format!("http://127.0.0.1:{port}")));
    env.push(("JWT_SECRET".into(), secret));
    let mut p = spawn(args, "api", bin, env, "bench-api.log").map_err(|e| e.to_string())?;
    // It must stay up and listen: a stub binary exits at once.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(status) = p.exited() {
            return Err(api_exit_reason(args, status));
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((p, port));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some(status) = p.exited() {
        return Err(api_exit_reason(args, status));
    }
    Err(format!("api did not listen on 127.0.0.1:{port} within 5 s"))
}

fn api_exit_reason(args: &Args, status: std::process::ExitStatus) -> String {
    let last = std::fs::read_to_string(args.log_dir.join("bench-api.log"))
        .ok()
        .and_then(|l| {
            l.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    format!("api exited at start ({status}): {last}")
}

/// Nearest-rank percentile of sorted values.
fn pct<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn latency_summary(mut v: Vec<i64>) -> Value {
    v.sort_unstable();
    json!({
        "samples": v.len(),
        "p50_ms": pct(&v, 50.0),
        "p90_ms": pct(&v, 90.0),
        "p99_ms": pct(&v, 99.0),
        "max_ms": v.last(),
        "mean_ms": if v.is_empty() { None } else { Some(v.iter().sum::<i64>() as f64 / v.len() as f64) },
    })
}

async fn hlen(conn: &mut ConnectionManager, key: &str) -> anyhow::Result<u64> {
    Ok(redis::cmd("HLEN").arg(key).query_async(conn).await?)
}

async fn zcard(conn: &mut ConnectionManager, key: &str) -> anyhow::Result<u64> {
    Ok(redis::cmd("ZCARD").arg(key).query_async(conn).await?)
}

/// Jobs that went wrong so far: our dead letters, our delayed set (retries), and tasks still in apalis' data
/// hash (every finished task must have been forgotten).
async fn error_counts(q: &JobQueue) -> anyhow::Result<(u64, u64, u64)> {
    let mut conn = q.connection();
    let keys = q.keys();
    Ok((
        zcard(&mut conn, &keys.dead()).await?,
        zcard(&mut conn, &keys.delayed()).await?,
        hlen(&mut conn, &keys.data(Queue::Diag)).await?,
    ))
}

async fn wait_registered(q: &JobQueue, worker: &mut Proc) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = q.connection();
    let key = q.keys().apalis_workers(Queue::Diag);
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = worker.exited() {
            bail!("workers exited during start: {status}");
        }
        if zcard(&mut conn, &key).await? > 0 {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!("workers never registered its diag worker")
}

/// `started_at - created_at` (ms) of the given jobs' records; records not started are skipped.
async fn pickup_latencies(q: &JobQueue, ids: &[JobId]) -> anyhow::Result<Vec<i64>> {
    let mut conn = q.connection();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(2_000) {
        let mut pipe = redis::pipe();
        for id in chunk {
            pipe.cmd("HMGET")
                .arg(q.keys().job(id))
                .arg("created_at")
                .arg("started_at");
        }
        let rows: Vec<(Option<i64>, Option<i64>)> = pipe.query_async(&mut conn).await?;
        out.extend(rows.into_iter().filter_map(|(c, s)| Some(s? - c?)));
    }
    Ok(out)
}

fn redis_info(raw: &str) -> HashMap<String, String> {
    raw.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

/// Redis' own CPU seconds (user + sys).
async fn redis_cpu(conn: &mut ConnectionManager) -> anyhow::Result<f64> {
    Ok(redis_cpu_split(conn).await?.0)
}

/// Redis' CPU seconds: its own, and its finished children's (AOF rewrites), plus AOF rewrites started so far.
async fn redis_cpu_split(conn: &mut ConnectionManager) -> anyhow::Result<(f64, f64, u64)> {
    // One section per INFO call: Redis before 7 takes a single section name.
    let (cpu, persistence): (String, String) = redis::pipe()
        .cmd("INFO")
        .arg("cpu")
        .cmd("INFO")
        .arg("persistence")
        .query_async(conn)
        .await?;
    let info = redis_info(&(cpu + &persistence));
    let get = |k: &str| {
        info.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Ok((
        get("used_cpu_user") + get("used_cpu_sys"),
        get("used_cpu_user_children") + get("used_cpu_sys_children"),
        get("aof_rewrites") as u64 + get("aof_rewrite_in_progress") as u64,
    ))
}

// ---------------------------------------------------------------------------------------------------------
// Phase 1: idle pickup

async fn idle_pickup(q: &JobQueue, n: usize) -> anyhow::Result<Value> {
    let mut conn = q.connection();
    let mut lat = Vec::with_capacity(n);
    let mut observed = Vec::with_capacity(n);
    let mut slow = Vec::new();
    let phase = Instant::now();
    for i in 0..n {
        // Let the worker go idle: it must be woken, not find the job on a poll it was doing anyway.
        tokio::time::sleep(Duration::from_millis(50 + rand::random::<u64>() % 100)).await;
        let t0 = Instant::now();
        let id = q
            .enqueue(
                &Noop {
                    tag: Some(format!("idle-{i}")),
                },
                EnqueueOptions::default(),
            )
            .await?
            .job_id;
        let key = q.keys().job(&id);
        loop {
            let state: Option<String> = redis::cmd("HGET")
                .arg(&key)
                .arg("state")
                .query_async(&mut conn)
                .await?;
            if state.as_deref() == Some("succeeded") {
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                bail!("idle job {id} not done after 10 s (state {state:?})");
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        observed.push(i64::try_from(t0.elapsed().as_micros()).unwrap_or(i64::MAX));
        let got = pickup_latencies(q, &[id]).await?;
        // Which samples miss the 10 ms target, and when (seconds into the phase): a pattern in time points
        // at a periodic task of the worker, none at the host.
        for &ms in &got {
            if ms >= 10 {
                slow.push(json!({ "ms": ms, "at_s": (phase.elapsed().as_secs_f64() * 10.0).round() / 10.0 }));
            }
        }
        lat.extend(got);
    }
    observed.sort_unstable();
    let mut outliers: Vec<i64> = lat.iter().copied().filter(|ms| *ms >= 50).collect();
    outliers.sort_unstable();
    let mut v = latency_summary(lat);
    v["outliers_ge_50ms"] = json!(outliers);
    v["samples_ge_10ms"] = json!(slow);
    v["enqueue_to_observed_success_p50_us"] = json!(pct(&observed, 50.0));
    v["enqueue_to_observed_success_p99_us"] = json!(pct(&observed, 99.0));
    Ok(v)
}

// ---------------------------------------------------------------------------------------------------------
// Closed-loop producers shared by the sustained and commands phases

struct Load {
    enqueued: AtomicU64,
    /// Length of the queue's ready list, kept current by [`waiting_sampler`].
    waiting: AtomicU64,
    stop: AtomicBool,
    /// Jobs still allowed to be enqueued (u64::MAX: unbounded).
    budget: AtomicU64,
    ids: Mutex<Vec<JobId>>,
    enqueue_errors: AtomicU64,
}

impl Load {
    fn new(budget: u64) -> Arc<Self> {
        Arc::new(Self {
            enqueued: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            budget: AtomicU64::new(budget),
            ids: Mutex::new(Vec::new()),
            enqueue_errors: AtomicU64::new(0),
        })
    }
}

/// Enqueues batches of no-op jobs while the ready list is shorter than `max_waiting`.
async fn producer(q: JobQueue, load: Arc<Load>, batch: usize, max_waiting: u64) {
    let jobs: Vec<Noop> = (0..batch).map(|_| Noop::default()).collect();
    while !load.stop.load(Ordering::Relaxed) {
        if load.waiting.load(Ordering::Relaxed) >= max_waiting {
            tokio::time::sleep(Duration::from_micros(200)).await;
            continue;
        }
        let n = batch as u64;
        if load
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(n))
            .is_err()
        {
            return;
        }
        match q.enqueue_bulk(&jobs, EnqueueOptions::default()).await {
            Ok(out) => {
                load.enqueued.fetch_add(out.len() as u64, Ordering::Relaxed);
                // Counted as waiting at once, so that producers do not overshoot between two samples.
                load.waiting.fetch_add(out.len() as u64, Ordering::Relaxed);
                load.ids
                    .lock()
                    .unwrap()
                    .extend(out.iter().map(|e| e.job_id));
            }
            Err(e) => {
                load.enqueue_errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("bench: enqueue failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Keeps `load.waiting` current (`LLEN` of the ready list); counts its own polls.
/// Starts the closed-loop load: `args.producers` producers, and the sampler that reads the length of the
/// diag ready list every `every` (its reads counted in `polls`) so the producers pause at `--max-waiting`.
fn start_load(
    q: &JobQueue,
    args: &Args,
    load: &Arc<Load>,
    every: Duration,
    polls: &Arc<AtomicU64>,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    tokio::task::JoinHandle<()>,
) {
    let producers = (0..args.producers)
        .map(|_| {
            tokio::spawn(producer(
                q.clone(),
                load.clone(),
                args.batch,
                args.max_waiting,
            ))
        })
        .collect();
    let sampler = tokio::spawn(waiting_sampler(
        q.connection(),
        q.keys().active(Queue::Diag),
        load.clone(),
        every,
        polls.clone(),
    ));
    (producers, sampler)
}

async fn waiting_sampler(
    mut conn: ConnectionManager,
    key: String,
    load: Arc<Load>,
    every: Duration,
    polls: Arc<AtomicU64>,
) {
    while !load.stop.load(Ordering::Relaxed) {
        if let Ok(n) = redis::cmd("LLEN")
            .arg(&key)
            .query_async::<u64>(&mut conn)
            .await
        {
            load.waiting.store(n, Ordering::Relaxed);
        }
        polls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(every).await;
    }
}

/// What the records of a set of jobs say.
#[derive(Default)]
struct Records {
    states: BTreeMap<String, u64>,
    /// (created_at, started_at, finished_at) in unix ms of succeeded jobs.
    times: Vec<(i64, i64, i64)>,
}

impl Records {
    fn count(&self, state: &str) -> u64 {
        self.states.get(state).copied().unwrap_or(0)
    }
    fn unfinished(&self) -> u64 {
        self.count("waiting") + self.count("running") + self.count("scheduled")
    }
}

async fn read_records(q: &JobQueue, ids: &[JobId]) -> anyhow::Result<Records> {
    let mut conn = q.connection();
    let mut out = Records::default();
    out.times.reserve(ids.len());
    for chunk in ids.chunks(5_000) {
        let mut pipe = redis::pipe();
        for id in chunk {
            pipe.cmd("HMGET")
                .arg(q.keys().job(id))
                .arg("state")
                .arg("created_at")
                .arg("started_at")
                .arg("finished_at");
        }
        type Row = (Option<String>, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Row> = pipe.query_async(&mut conn).await?;
        for (state, c, s, f) in rows {
            let state = state.unwrap_or_else(|| "missing".into());
            if let ("succeeded", Some(c), Some(s), Some(f)) = (state.as_str(), c, s, f) {
                out.times.push((c, s, f));
            }
            *out.states.entry(state).or_insert(0) += 1;
        }
    }
    Ok(out)
}

/// Waits until no job of `ids` is waiting or running any more (or `timeout`), then returns their records.
async fn settle(q: &JobQueue, ids: &[JobId], timeout: Duration) -> anyhow::Result<Records> {
    let deadline = Instant::now() + timeout;
    let mut conn = q.connection();
    let active = q.keys().active(Queue::Diag);
    loop {
        let waiting: u64 = redis::cmd("LLEN")
            .arg(&active)
            .query_async(&mut conn)
            .await?;
        if waiting == 0 {
            let rec = read_records(q, ids).await?;
            if rec.unfinished() == 0 || Instant::now() > deadline {
                return Ok(rec);
            }
        } else if Instant::now() > deadline {
            return read_records(q, ids).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Phase 2: sustained throughput

async fn sustained(
    q: &JobQueue,
    args: &Args,
    worker_pid: u32,
    api_pid: Option<u32>,
) -> anyhow::Result<Value> {
    let mut conn = q.connection();
    let load = Load::new(u64::MAX);
    let polls = Arc::new(AtomicU64::new(0));
    let (tasks, sampler) = start_load(q, args, &load, Duration::from_millis(2), &polls);
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;

    let ticks = clock_ticks_per_sec();
    let cpu0 = cpu_ticks(worker_pid).unwrap_or(0);
    let me0 = cpu_ticks(std::process::id()).unwrap_or(0);
    let host0 = host_jiffies().unwrap_or((0, 0));
    let (rcpu0, rchild0, rewrites0) = redis_cpu_split(&mut conn).await?;
    let pg0 = cpu_ticks_named("postgres");
    let t0 = Instant::now();
    let t0_ms = now_ms();
    let mut rss_worker = Vec::new();
    let mut rss_api = Vec::new();
    for s in 1..=args.duration {
        tokio::time::sleep_until((t0 + Duration::from_secs(s)).into()).await;
        if let Some((rss, _)) = rss_kib(worker_pid) {
            rss_worker.push(rss);
        }
        if let Some((rss, _)) = api_pid.and_then(rss_kib) {
            rss_api.push(rss);
        }
    }
    let t1_ms = now_ms();
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu1 = cpu_ticks(worker_pid).unwrap_or(0);
    let me1 = cpu_ticks(std::process::id()).unwrap_or(0);
    let host1 = host_jiffies().unwrap_or((0, 0));
    let (rcpu1, rchild1, rewrites1) = redis_cpu_split(&mut conn).await?;
    let pg1 = cpu_ticks_named("postgres");
    load.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    sampler.await?;
    let ids = std::mem::take(&mut *load.ids.lock().unwrap());

    // Everything enqueued must finish; then the records give the window's completions and latencies.
    let rec = settle(q, &ids, Duration::from_secs(60)).await?;
    let window_ms = t1_ms - t0_ms;
    let mut per_sec = vec![0u64; usize::try_from(window_ms / 1000).unwrap_or(0).max(1)];
    let mut completed = 0u64;
    let mut lat = Vec::new();
    for &(c, s, f) in &rec.times {
        if (t0_ms..t1_ms).contains(&f) {
            completed += 1;
            if let Some(b) = per_sec.get_mut(usize::try_from((f - t0_ms) / 1000).unwrap_or(0)) {
                *b += 1;
            }
        }
        if (t0_ms..t1_ms).contains(&c) {
            lat.push(s - c);
        }
    }
    let (dead, retrying, leftover_tasks) = error_counts(q).await?;
    let mut sorted = per_sec.clone();
    sorted.sort_unstable();
    let rss_max = rss_worker.iter().copied().max().unwrap_or(0);
    Ok(json!({
        "window_s": window_ms as f64 / 1000.0,
        "completed_in_window": completed,
        "jobs_per_s": completed as f64 * 1000.0 / window_ms as f64,
        "per_second_min": sorted.first(),
        "per_second_median": sorted.get(sorted.len() / 2),
        "per_second_max": sorted.last(),
        "per_second": per_sec,
        "enqueued_total": ids.len(),
        "enqueue_errors": load.enqueue_errors.load(Ordering::Relaxed),
        "states_after": rec.states,
        "all_succeeded": rec.count("succeeded") == ids.len() as u64,
        "dead": dead,
        "retrying": retrying,
        "leftover_tasks": leftover_tasks,
        "latency_under_load": latency_summary(lat),
        "worker_cpu_cores": (cpu1.saturating_sub(cpu0)) as f64 / ticks / elapsed,
        "redis_cpu_cores": (rcpu1 - rcpu0) / elapsed,
        // Children that finished inside the window (an AOF rewrite still running at its end is not counted).
        "redis_aof_rewrite_cpu_cores": (rchild1 - rchild0) / elapsed,
        "redis_aof_rewrites": rewrites1.saturating_sub(rewrites0),
        "driver_cpu_cores": (me1.saturating_sub(me0)) as f64 / ticks / elapsed,
        "postgres_cpu_cores": (pg1.saturating_sub(pg0)) as f64 / ticks / elapsed,
        "host_busy_cores": (host1.0.saturating_sub(host0.0)) as f64 / ticks / elapsed,
        "host_cores_total": (host1.1.saturating_sub(host0.1)) as f64 / ticks / elapsed,
        "worker_rss_load_max_mib": mib(rss_max),
        "api_rss_load_max_mib": rss_api.iter().copied().max().map(mib),
        "settings": {
            "producers": args.producers,
            "batch": args.batch,
            "max_waiting": args.max_waiting,
            "concurrency": args.concurrency,
            "warmup_s": args.warmup,
        },
    }))
}

// ---------------------------------------------------------------------------------------------------------
// Phase 3: Redis commands per job

/// Calls per command from `INFO commandstats`.
fn commandstats(raw: &str) -> BTreeMap<String, u64> {
    commandstats_field(raw, "calls=")
}

/// One numeric field (`calls=`, `usec=`) per command from `INFO commandstats`.
fn commandstats_field(raw: &str, field: &str) -> BTreeMap<String, u64> {
    raw.lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let value = rest
                .split(',')
                .find_map(|kv| kv.strip_prefix(field))?
                .parse()
                .ok()?;
            Some((name.to_owned(), value))
        })
        .collect()
}

async fn commands_per_job(q: &JobQueue, args: &Args) -> anyhow::Result<Value> {
    let mut conn = q.connection();
    let data_key = q.keys().data(Queue::Diag);
    let active = q.keys().active(Queue::Diag);
    // The worker removes a task's copies in apalis' storage when it records the outcome: start with the data
    // hash empty and end when it is empty again, so that this cleanup is part of the count.
    // so that the per-job cleanup is part of the count.
    let leftover_wait = |mut conn: ConnectionManager, key: String| async move {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut polls = 0u64;
        loop {
            polls += 1;
            if hlen(&mut conn, &key).await? == 0 {
                return Ok::<u64, anyhow::Error>(polls);
            }
            if Instant::now() > deadline {
                bail!("apalis data hash not emptied within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    leftover_wait(conn.clone(), data_key.clone()).await?;

    // Background rate of an idle worker process (heartbeats, fallback polls, housekeeping).
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await?;
    let idle_window = Duration::from_secs(3);
    tokio::time::sleep(idle_window).await;
    let raw: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await?;
    let idle_stats = commandstats(&raw);
    let idle_total: u64 = idle_stats
        .iter()
        .filter(|(k, _)| k.as_str() != "config|resetstat")
        .map(|(_, v)| v)
        .sum();

    let n = args.cmd_jobs - args.cmd_jobs % args.batch as u64;
    let load = Load::new(n);
    let llen_polls = Arc::new(AtomicU64::new(0));
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await?;
    let t0 = Instant::now();
    let (tasks, sampler) = start_load(q, args, &load, Duration::from_millis(5), &llen_polls);
    for t in tasks {
        t.await?;
    }
    load.stop.store(true, Ordering::Relaxed);
    sampler.await?;
    let ids = std::mem::take(&mut *load.ids.lock().unwrap());
    let last = ids.last().context("no job enqueued")?;
    let mut own_llen = llen_polls.load(Ordering::Relaxed);
    let mut own_hget = 0u64;
    loop {
        let (waiting, state): (u64, Option<String>) = redis::pipe()
            .cmd("LLEN")
            .arg(&active)
            .cmd("HGET")
            .arg(q.keys().job(last))
            .arg("state")
            .query_async(&mut conn)
            .await?;
        own_llen += 1;
        own_hget += 1;
        if waiting == 0 && state.as_deref() == Some("succeeded") {
            break;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            bail!("commands phase: jobs unfinished after 60 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let jobs_done = t0.elapsed();
    // Jobs fetched together with the last one finish within milliseconds (no-ops).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let own_hlen = leftover_wait(conn.clone(), data_key.clone()).await?;
    let elapsed = t0.elapsed();
    let raw: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await?;
    let rec = read_records(q, &ids).await?;

    let mut stats = commandstats(&raw);
    // Time Redis spent per job, by command. A script's own entry (evalsha) includes the commands it ran,
    // which are also listed on their own; the difference is the cost of running Lua itself.
    let usec = commandstats_field(&raw, "usec=");
    let per_job_usec = |v: u64| (v as f64 / n as f64 * 100.0).round() / 100.0;
    let script_usec: u64 = ["evalsha", "eval"]
        .iter()
        .filter_map(|k| usec.get(*k))
        .sum();
    let usec_by_cmd: serde_json::Map<String, Value> = usec
        .iter()
        .filter(|(k, v)| **v > 0 && k.as_str() != "config|resetstat" && k.as_str() != "info")
        .map(|(k, v)| (k.clone(), json!(per_job_usec(*v))))
        .collect();
    // Remove this driver's own observation commands; the enqueue calls stay (they are the platform's path).
    stats.remove("config|resetstat");
    for (cmd, own) in [("llen", own_llen), ("hget", own_hget), ("hlen", own_hlen)] {
        if let Some(s) = stats.get_mut(cmd) {
            *s = s.saturating_sub(own);
        }
    }
    stats.retain(|_, v| *v > 0);
    let total: u64 = stats.values().sum();
    let scripts: u64 = ["evalsha", "eval", "evalsha_ro", "eval_ro", "fcall"]
        .iter()
        .filter_map(|k| stats.get(*k))
        .sum();
    let mut by_cmd: Vec<(String, u64)> = stats.into_iter().collect();
    by_cmd.sort_by_key(|e| std::cmp::Reverse(e.1));
    let breakdown: serde_json::Map<String, Value> = by_cmd
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!((*v as f64 / n as f64 * 1000.0).round() / 1000.0),
            )
        })
        .collect();
    Ok(json!({
        "jobs": n,
        "all_succeeded": rec.count("succeeded") == n,
        "jobs_done_s": jobs_done.as_secs_f64(),
        "elapsed_s": elapsed.as_secs_f64(),
        "total_commands": total,
        "commands_per_job": total as f64 / n as f64,
        "script_calls_per_job": scripts as f64 / n as f64,
        "per_job_by_command": breakdown,
        "usec_per_job_by_command": usec_by_cmd,
        "script_usec_per_job": per_job_usec(script_usec),
        "observer_commands_subtracted": own_llen + own_hget + own_hlen,
        "idle_background_commands_per_s": idle_total as f64 / idle_window.as_secs_f64(),
        "note": "INFO commandstats counts commands run inside Lua scripts as well as the EVALSHA calls themselves",
    }))
}

// ---------------------------------------------------------------------------------------------------------
// Phase 4: backlog drain

async fn backlog(args: &Args, run: &str) -> anyhow::Result<Value> {
    let ns = format!("{run}-b");
    let q = queue(&args.redis_url, &ns).await?;
    let mut conn = q.connection();
    let jobs: Vec<Noop> = (0..args.backlog)
        .map(|i| Noop {
            tag: Some(format!("b{i}")),
        })
        .collect();
    let t_enq = Instant::now();
    let mut ids = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(10_000) {
        ids.extend(
            q.enqueue_bulk(chunk, EnqueueOptions::default())
                .await?
                .into_iter()
                .map(|e| e.job_id),
        );
    }
    let enqueue_s = t_enq.elapsed().as_secs_f64();
    let waiting: u64 = redis::cmd("LLEN")
        .arg(q.keys().active(Queue::Diag))
        .query_async(&mut conn)
        .await?;

    let rcpu0 = redis_cpu(&mut conn).await?;
    let t0 = Instant::now();
    let spawn_ms = now_ms();
    let mut worker = spawn_worker(args, &ns, "bench-workers-backlog.log")?;
    let pid = worker.pid();
    let mut rss_peak = 0;
    let active = q.keys().active(Queue::Diag);
    let n = ids.len() as u64;
    // Watch the ready list empty out (cheap), then let the records settle.
    loop {
        let left: u64 = redis::cmd("LLEN")
            .arg(&active)
            .query_async(&mut conn)
            .await?;
        if let Some((rss, _)) = rss_kib(pid) {
            rss_peak = rss_peak.max(rss);
        }
        if left == 0 {
            break;
        }
        if let Some(status) = worker.exited() {
            bail!("backlog: workers exited while draining ({status}) with {left} jobs waiting");
        }
        if t0.elapsed() > Duration::from_secs(args.backlog_timeout) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained_in_time = t0.elapsed() <= Duration::from_secs(args.backlog_timeout);
    let rec = if drained_in_time {
        settle(&q, &ids, Duration::from_secs(30)).await?
    } else {
        read_records(&q, &ids).await?
    };
    let observed_s = t0.elapsed().as_secs_f64();
    let redis_cores = (redis_cpu(&mut conn).await? - rcpu0) / observed_s;
    let hwm = rss_kib(pid).map(|(_, h)| h).unwrap_or(0);
    let states = rec.states.clone();
    let first_start = rec.times.iter().map(|t| t.1).min();
    let last_finish = rec.times.iter().map(|t| t.2).max();
    let succeeded = rec.count("succeeded");
    let timed_out = !drained_in_time || rec.unfinished() > 0;
    let drain_s = if timed_out {
        None
    } else {
        last_finish.map(|f| (f - spawn_ms) as f64 / 1000.0)
    };
    let span_s = first_start
        .zip(last_finish)
        .map(|(s, f)| (f - s) as f64 / 1000.0);
    let (dead, retrying, leftover_tasks) = error_counts(&q).await?;
    worker.stop(Duration::from_secs(10));
    cleanup(&q).await;
    Ok(json!({
        "jobs": n,
        "enqueue_s": enqueue_s,
        "enqueue_jobs_per_s": n as f64 / enqueue_s,
        "waiting_before_worker": waiting,
        "drain_s_from_worker_spawn": drain_s,
        "drain_s_first_start_to_last_finish": span_s,
        "drain_jobs_per_s": drain_s.map(|d| n as f64 / d),
        "observed_s_until_settled": observed_s,
        "redis_cpu_cores_while_draining": redis_cores,
        "timed_out": timed_out,
        "timeout_s": args.backlog_timeout,
        "succeeded_jobs_per_s_until_stop": succeeded as f64 / observed_s,
        "states": states,
        "succeeded": succeeded,
        "dead": dead,
        "retrying": retrying,
        "leftover_tasks": leftover_tasks,
        "errors": dead + retrying + leftover_tasks + rec.count("missing"),
        "drained": !timed_out && succeeded == n,
        "zero_errors": dead == 0 && retrying == 0 && leftover_tasks == 0 && rec.count("missing") == 0,
        "worker_rss_peak_sampled_mib": mib(rss_peak),
        "worker_rss_hwm_mib": mib(hwm),
    }))
}

// ---------------------------------------------------------------------------------------------------------

async fn queue(url: &str, ns: &str) -> anyhow::Result<JobQueue> {
    let conn = shared::redis_conn::connect(url)
        .await
        .context("connecting to Redis")?;
    Ok(JobQueue::new(
        conn,
        Keys::new(ns),
        Duration::from_secs(3_600),
    ))
}

/// Deletes a namespace's keys (UNLINK in batches of SCAN results).
async fn cleanup(q: &JobQueue) {
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

/// One sustained window on its own: a fresh namespace and `workers` process, stopped and cleaned up after.
async fn sustained_round(args: &Args, run: &str) -> anyhow::Result<Value> {
    let ns = format!("{run}-s");
    let q = queue(&args.redis_url, &ns).await?;
    eprintln!("bench: sustained-only round (namespace {ns})");
    let mut worker = spawn_worker(args, &ns, "bench-workers-round.log")?;
    wait_registered(&q, &mut worker).await?;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let sus = sustained(&q, args, worker.pid(), None).await;
    worker.stop(Duration::from_secs(10));
    cleanup(&q).await;
    let sus = sus?;
    eprintln!(
        "bench: sustained {:.0} jobs/s",
        sus["jobs_per_s"].as_f64().unwrap_or(0.0)
    );
    Ok(sus)
}

/// Rows in `job_history`.
fn history_rows(url: &str) -> anyhow::Result<u64> {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(url).context("bench database")?;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let c: Count =
        diesel::sql_query("SELECT count(*) AS n FROM job_history").get_result(&mut conn)?;
    Ok(u64::try_from(c.n).unwrap_or(0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::db::init_tls();
    let mut args = Args::parse();
    // Short namespaces (11 characters; the production default is `crm`): every Redis key carries one, and a
    // long one would inflate the bytes Redis parses and appends to its AOF for each job.
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let run = format!("b{}", &id[id.len() - 8..]);
    // The workers write every finished job to `job_history` and the API signs viewers in against `users`:
    // a migrated database of this run's own (dropped at the end), or those writes would fail and
    // cost nothing.
    let admin_url = args.database_url.clone();
    let scratch_run = run.clone();
    let scratch = tokio::task::spawn_blocking(move || -> anyhow::Result<ScratchDb> {
        let db = ScratchDb::create(&admin_url, &format!("crm_bench_{scratch_run}"), None)
            .context("creating the bench database (the role needs CREATEDB)")?;
        let mut conn = PgConnection::establish(&db.url()).context("bench database")?;
        shared::db::run_migrations(&mut conn)?;
        Ok(db)
    })
    .await??;
    args.database_url = scratch.url();
    if args.sustained_only {
        let sus = sustained_round(&args, &run).await;
        tokio::task::spawn_blocking(move || scratch.drop_now()).await??;
        let sus = sus?;
        std::fs::write(
            &args.out,
            serde_json::to_string_pretty(&json!({ "sustained": sus }))?,
        )
        .with_context(|| format!("writing {}", args.out.display()))?;
        return Ok(());
    }
    let db_url = args.database_url.clone();
    let history_before = tokio::task::spawn_blocking(move || history_rows(&db_url)).await??;
    let started = Instant::now();
    let mut out = serde_json::Map::new();
    out.insert("namespace_prefix".into(), json!(run));

    let ns = format!("{run}-l");
    let q = queue(&args.redis_url, &ns).await?;
    let mut conn = q.connection();
    let raw: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await?;
    out.insert(
        "redis_version".into(),
        json!(redis_info(&raw).get("redis_version")),
    );

    eprintln!("bench: starting api (if built) and one workers process (namespace {ns})");
    let api = spawn_api(&args, &ns);
    let mut worker = spawn_worker(&args, &ns, "bench-workers-load.log")?;
    let reg = wait_registered(&q, &mut worker).await?;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let worker_idle = rss_kib(worker.pid()).map(|(r, _)| mib(r));
    let (api_idle, api_status) = match &api {
        Ok((p, _)) => (rss_kib(p.pid()).map(|(r, _)| mib(r)), "running".to_owned()),
        Err(reason) => (None, reason.clone()),
    };
    eprintln!(
        "bench: workers registered after {} ms; idle RSS {worker_idle:?} MiB; api: {api_status}",
        reg.as_millis()
    );

    eprintln!(
        "bench: idle pickup ({} jobs, one at a time)",
        args.idle_jobs
    );
    let idle = idle_pickup(&q, args.idle_jobs).await?;
    eprintln!("bench: idle pickup {idle}");

    eprintln!(
        "bench: sustained load ({} s warm-up + {} s)",
        args.warmup, args.duration
    );
    let api_pid = api.as_ref().ok().map(|(p, _)| p.pid());
    let sus = sustained(&q, &args, worker.pid(), api_pid).await?;
    eprintln!(
        "bench: sustained {:.0} jobs/s; latency under load {}",
        sus["jobs_per_s"].as_f64().unwrap_or(0.0),
        sus["latency_under_load"]
    );
    let worker_after_load = rss_kib(worker.pid());
    // The history writer flushes at least every 200 ms.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let db_url = args.database_url.clone();
    let history_after = tokio::task::spawn_blocking(move || history_rows(&db_url)).await??;
    let history_written = history_after.saturating_sub(history_before);
    eprintln!(
        "bench: job history rows written so far (idle + sustained phases): {history_written}"
    );

    eprintln!("bench: Redis commands per job ({} jobs)", args.cmd_jobs);
    let cmds = commands_per_job(&q, &args).await?;
    eprintln!(
        "bench: {:.2} commands per job",
        cmds["commands_per_job"].as_f64().unwrap_or(0.0)
    );
    let api_http = match &api {
        Ok((p, port)) => {
            eprintln!("bench: API under HTTP load (10 s)");
            let job = q
                .enqueue(&Noop { tag: None }, EnqueueOptions::default())
                .await?
                .job_id;
            let target = api_load::ApiTarget {
                pid: p.pid(),
                port: *port,
            };
            match api_load::run(&target, &args.database_url, &job, Duration::from_secs(10)).await {
                Ok(v) => {
                    eprintln!("bench: API under load {v}");
                    v
                }
                Err(e) => {
                    eprintln!("bench: API load phase failed: {e:#}");
                    json!({ "error": format!("{e:#}") })
                }
            }
        }
        Err(reason) => json!({ "error": reason }),
    };
    let api_after = api.as_ref().ok().and_then(|(p, _)| rss_kib(p.pid()));
    worker.stop(Duration::from_secs(10));
    if let Ok((p, _)) = api {
        p.stop(Duration::from_secs(10));
    }
    cleanup(&q).await;

    eprintln!("bench: backlog of {} jobs", args.backlog);
    let bl = backlog(&args, &run).await?;
    match bl["drain_s_from_worker_spawn"].as_f64() {
        Some(d) => eprintln!(
            "bench: backlog drained in {d:.2} s, zero errors: {}",
            bl["zero_errors"]
        ),
        None => eprintln!(
            "bench: backlog NOT drained within {} s ({} succeeded), zero errors so far: {}",
            args.backlog_timeout, bl["succeeded"], bl["zero_errors"]
        ),
    }

    out.insert("idle_pickup".into(), idle);
    out.insert("sustained".into(), sus);
    out.insert("job_history_rows_written".into(), json!(history_written));
    out.insert("redis_commands".into(), cmds);
    out.insert("backlog".into(), bl);
    out.insert("api_http_load".into(), api_http);
    out.insert(
        "rss".into(),
        json!({
            "worker_idle_mib": worker_idle,
            "worker_load_max_mib": out["sustained"]["worker_rss_load_max_mib"],
            "worker_hwm_after_load_mib": worker_after_load.map(|(_, h)| mib(h)),
            "worker_backlog_hwm_mib": out["backlog"]["worker_rss_hwm_mib"],
            "api_status": api_status,
            "api_idle_mib": api_idle,
            "api_load_max_mib": out["sustained"]["api_rss_load_max_mib"],
            "api_hwm_mib": api_after.map(|(_, h)| mib(h)),
        }),
    );
    out.insert(
        "driver_elapsed_s".into(),
        json!(started.elapsed().as_secs_f64()),
    );
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&Value::Object(out))?,
    )
    .with_context(|| format!("writing {}", args.out.display()))?;
    tokio::task::spawn_blocking(move || scratch.drop_now()).await??;
    Ok(())
}
