//! The spawned `workers` and `api` processes: environment, start, stop, registration of the diag worker.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_queue::JobQueue;
use shared::jobs::Queue;

use crate::args::Args;
use crate::queue::zcard;

/// A spawned process, killed on drop.
pub struct Proc {
    child: Child,
    name: &'static str,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub fn stop(mut self, grace: Duration) {
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

pub fn base_env(args: &Args, ns: &str) -> Vec<(String, String)> {
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

pub fn spawn(
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

pub fn spawn_worker(args: &Args, ns: &str, log: &str) -> anyhow::Result<Proc> {
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
pub fn spawn_api(args: &Args, ns: &str) -> Result<(Proc, u16), String> {
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

pub fn api_exit_reason(args: &Args, status: std::process::ExitStatus) -> String {
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

pub async fn wait_registered(q: &JobQueue, worker: &mut Proc) -> anyhow::Result<Duration> {
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
