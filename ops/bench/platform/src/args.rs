//! Command-line arguments of the bench.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "No-op job benchmark of the platform's enqueue and worker path")]
pub struct Args {
    /// Path of the release `workers` binary.
    #[arg(long)]
    pub workers_bin: PathBuf,
    /// Path of the release `api` binary (optional: its RSS is reported when it starts and stays up).
    #[arg(long)]
    pub api_bin: Option<PathBuf>,
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: String,
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Measurement window of the sustained phase, seconds.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Warm-up before the sustained window, seconds.
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Jobs per `enqueue_bulk` call of the producers.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Number of producer tasks.
    #[arg(long, default_value_t = 2)]
    pub producers: usize,
    /// Producers pause while the ready list holds this many jobs or more.
    #[arg(long, default_value_t = 500)]
    pub max_waiting: u64,
    /// `WORKER_CONCURRENCY` of the diag queue.
    #[arg(long, default_value_t = 500)]
    pub concurrency: usize,
    /// Jobs of the idle-pickup phase.
    #[arg(long, default_value_t = 300)]
    pub idle_jobs: usize,
    /// Jobs of the Redis-commands phase.
    #[arg(long, default_value_t = 20_000)]
    pub cmd_jobs: u64,
    /// Jobs of the backlog phase.
    #[arg(long, default_value_t = 100_000)]
    pub backlog: usize,
    /// Give up waiting for the backlog to drain after this many seconds (keeps the whole run bounded).
    #[arg(long, default_value_t = 120)]
    pub backlog_timeout: u64,
    /// Extra `KEY=VALUE` environment for the spawned `workers` processes (repeatable), for experiments such
    /// as `--worker-env WORKER_POLL_FALLBACK_MS=50`.
    #[arg(long = "worker-env", value_parser = parse_kv)]
    pub worker_env: Vec<(String, String)>,
    /// `RUST_LOG` of the spawned processes.
    #[arg(long, default_value = "warn")]
    pub rust_log: String,
    /// Where the spawned processes' stderr goes.
    #[arg(long, default_value = "/tmp")]
    pub log_dir: PathBuf,
    /// JSON results file.
    #[arg(long)]
    pub out: PathBuf,
    /// Run only a sustained window (fresh database, namespace and `workers` process), for the extra rounds
    /// `ops/bench/run` alternates with Celery's.
    #[arg(long)]
    pub sustained_only: bool,
}

pub fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}
