//! Phase 2: sustained throughput under the closed-loop load, with CPU and RSS of the processes involved.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crm_queue::{JobQueue, now_ms};
use serde_json::{Value, json};

use crate::args::Args;
use crate::load::{Load, start_load};
use crate::procfs::{clock_ticks_per_sec, cpu_ticks, cpu_ticks_named, host_jiffies, mib, rss_kib};
use crate::procs::{spawn_worker, wait_registered};
use crate::queue::{cleanup, error_counts, queue};
use crate::records::settle;
use crate::redis_stats::redis_cpu_split;
use crate::stats::latency_summary;

pub async fn sustained(
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
        "latency_under_load": latency_summary(&lat),
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

/// One sustained window on its own: a fresh namespace and `workers` process, stopped and cleaned up after.
pub async fn sustained_round(args: &Args, run: &str) -> anyhow::Result<Value> {
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
