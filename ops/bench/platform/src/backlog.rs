//! Phase 4: backlog drain, jobs enqueued with no worker, then a fresh worker drains them.

use std::time::{Duration, Instant};

use anyhow::bail;
use crm_queue::{EnqueueOptions, now_ms};
use serde_json::{Value, json};
use shared::jobs::Queue;
use shared::jobs::payloads::diag::Noop;

use crate::args::Args;
use crate::procfs::{mib, rss_kib};
use crate::procs::spawn_worker;
use crate::queue::{cleanup, error_counts, queue};
use crate::records::{read_records, settle};
use crate::redis_stats::redis_cpu;

pub async fn backlog(args: &Args, run: &str) -> anyhow::Result<Value> {
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
