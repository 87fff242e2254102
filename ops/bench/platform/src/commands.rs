//! Phase 3: Redis commands per job, from `INFO commandstats` around a fixed number of jobs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_queue::JobQueue;
use serde_json::{Value, json};
use shared::jobs::Queue;
use shared::redis_conn::RedisConn;

use crate::args::Args;
use crate::load::{Load, start_load};
use crate::queue::hlen;
use crate::records::read_records;
use crate::redis_stats::{commandstats, commandstats_field};

pub async fn commands_per_job(q: &JobQueue, args: &Args) -> anyhow::Result<Value> {
    let mut conn = q.connection();
    let data_key = q.keys().data(Queue::Diag);
    let active = q.keys().active(Queue::Diag);
    // The worker removes a task's copies in apalis' storage when it records the outcome: start with the data
    // hash empty and end when it is empty again, so that this cleanup is part of the count.
    // so that the per-job cleanup is part of the count.
    let leftover_wait = |mut conn: RedisConn, key: String| async move {
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
