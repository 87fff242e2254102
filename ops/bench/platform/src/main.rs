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
//!
//! One module per phase (`idle`, `sustained`, `commands`, `api_load`, `backlog`); `load` holds the producers
//! the sustained and commands phases share, `records` the reading of job records, `redis_stats` and `procfs`
//! what Redis and `/proc` report, `stats` the latency percentiles. `main` runs the phases in order and writes
//! the JSON that `ops/bench/report.py` reads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measurement tool: a broken setup must stop the run loudly rather than produce figures"
)]

mod api_load;
mod args;
mod backlog;
mod commands;
mod db;
mod idle;
mod load;
mod procfs;
mod procs;
mod queue;
mod records;
mod redis_stats;
mod stats;
mod sustained;

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use crm_queue::EnqueueOptions;
use serde_json::{Value, json};
use shared::jobs::payloads::diag::Noop;

use crate::args::Args;
use crate::backlog::backlog;
use crate::commands::commands_per_job;
use crate::db::history_rows;
use crate::idle::idle_pickup;
use crate::procfs::{mib, rss_kib};
use crate::procs::{spawn_api, spawn_worker, wait_registered};
use crate::queue::{cleanup, queue};
use crate::redis_stats::redis_info;
use crate::sustained::{sustained, sustained_round};

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
    let scratch =
        tokio::task::spawn_blocking(move || db::create(&admin_url, &scratch_run)).await??;
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
