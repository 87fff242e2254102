//! Reading the jobs' records (state and timestamps) back from Redis, and waiting for them to settle.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crm_queue::{JobId, JobQueue};
use shared::jobs::Queue;

/// `started_at - created_at` (ms) of the given jobs' records; records not started are skipped.
pub async fn pickup_latencies(q: &JobQueue, ids: &[JobId]) -> anyhow::Result<Vec<i64>> {
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

/// What the records of a set of jobs say.
#[derive(Default)]
pub struct Records {
    pub states: BTreeMap<String, u64>,
    /// (created_at, started_at, finished_at) in unix ms of succeeded jobs.
    pub times: Vec<(i64, i64, i64)>,
}

impl Records {
    pub fn count(&self, state: &str) -> u64 {
        self.states.get(state).copied().unwrap_or(0)
    }
    pub fn unfinished(&self) -> u64 {
        self.count("waiting") + self.count("running") + self.count("scheduled")
    }
}

pub async fn read_records(q: &JobQueue, ids: &[JobId]) -> anyhow::Result<Records> {
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
pub async fn settle(q: &JobQueue, ids: &[JobId], timeout: Duration) -> anyhow::Result<Records> {
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
