//! Operator actions and views on the job store: listings by state, cancel, delete, retry now, queue
//! statistics and per-minute series (the dashboard's data).

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use redis::AsyncCommands;
use serde::Serialize;

use crate::{JobEnvelope, JobId, JobQueue, JobRecord, RequeueOutcome, now_ms, scripts};
use shared::jobs::Queue;

/// Which jobs of a queue to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListState {
    Waiting,
    /// Due later: scheduled jobs and jobs waiting for their next attempt.
    Scheduled,
    Running,
    Dead,
}

/// Result of a cancel, delete or retry-now request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    Done,
    /// The job is in a state where the action does not apply (e.g. cancelling a running job).
    WrongState,
    NotFound,
}

impl ActionOutcome {
    fn from_script(n: i64) -> Self {
        match n {
            1 => Self::Done,
            0 => Self::WrongState,
            _ => Self::NotFound,
        }
    }
}

/// Counts of one queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueStats {
    #[schema(value_type = String)]
    pub queue: Queue,
    pub waiting: u64,
    pub scheduled: u64,
    pub running: u64,
    pub dead: u64,
    pub succeeded_last_hour: u64,
    /// Failed attempts in the last hour (retried or dead).
    pub failed_last_hour: u64,
    pub oldest_waiting_secs: f64,
    pub paused: bool,
}

/// One minute of activity.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MinutePoint {
    pub minute: DateTime<Utc>,
    pub succeeded: u64,
    pub failed: u64,
    pub dead: u64,
}

/// A live worker process.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProcessView {
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub queues: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub in_flight: u64,
}

fn ms_to_time(v: Option<&String>) -> Option<DateTime<Utc>> {
    v.and_then(|s| s.parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

impl JobQueue {
    async fn records(
        &self,
        ids: Vec<JobId>,
        search: Option<&str>,
    ) -> Result<Vec<JobRecord>, redis::RedisError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(rec) = self.get(&id).await? {
                let keep = match search {
                    None => true,
                    Some(s) => {
                        rec.id.to_string().eq_ignore_ascii_case(s)
                            || rec.payload.to_string().contains(s)
                    }
                };
                if keep {
                    out.push(rec);
                }
            }
        }
        Ok(out)
    }

    /// Job ids of apalis task ids (the envelope in the queue's data hash says which job a task belongs to).
    async fn jobs_of_tasks(
        &self,
        queue: Queue,
        tasks: &[String],
    ) -> Result<Vec<JobId>, redis::RedisError> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.connection();
        let envelopes: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.keys().data(queue))
            .arg(tasks)
            .query_async(&mut conn)
            .await?;
        Ok(envelopes
            .into_iter()
            .flatten()
            .filter_map(|e| serde_json::from_str::<JobEnvelope>(&e).ok())
            .map(|e| e.job_id)
            .collect())
    }

    /// Jobs of a queue in a state, with paging. With `search` (a job id or a payload substring), the page
    /// is taken from the first 5,000 jobs of that state and filtered.
    pub async fn list_jobs(
        &self,
        queue: Queue,
        state: ListState,
        offset: usize,
        limit: usize,
        search: Option<&str>,
    ) -> Result<(u64, Vec<JobRecord>), redis::RedisError> {
        let keys = self.keys().clone();
        let mut conn = self.connection();
        let (start, stop) = match search {
            Some(_) => (0isize, 4_999isize),
            None => (
                isize::try_from(offset).unwrap_or(isize::MAX),
                isize::try_from(offset + limit).unwrap_or(isize::MAX) - 1,
            ),
        };
        let (total, ids): (u64, Vec<JobId>) = match state {
            ListState::Waiting => {
                let total: u64 = conn.llen(keys.active(queue)).await?;
                let tasks: Vec<String> = conn.lrange(keys.active(queue), start, stop).await?;
                (total, self.jobs_of_tasks(queue, &tasks).await?)
            }
            ListState::Scheduled => {
                let total: u64 = conn.zcard(keys.delayed_in(queue)).await?;
                let tasks: Vec<String> = conn.zrange(keys.delayed_in(queue), start, stop).await?;
                (total, self.jobs_of_tasks(queue, &tasks).await?)
            }
            ListState::Running => {
                let members: Vec<String> = conn.smembers(keys.running(queue)).await?;
                let total = members.len() as u64;
                let ids = members
                    .iter()
                    .filter_map(|m| m.parse().ok())
                    .collect::<Vec<JobId>>();
                let ids = match search {
                    Some(_) => ids,
                    None => ids.into_iter().skip(offset).take(limit).collect(),
                };
                (total, ids)
            }
            ListState::Dead => {
                let total: u64 = conn.zcard(keys.dead_in(queue)).await?;
                let members: Vec<String> = conn.zrevrange(keys.dead_in(queue), start, stop).await?;
                (
                    total,
                    members.iter().filter_map(|m| m.parse().ok()).collect(),
                )
            }
        };
        let mut recs = self.records(ids, search).await?;
        if search.is_some() {
            let matched = recs.len() as u64;
            recs = recs.into_iter().skip(offset).take(limit).collect();
            return Ok((matched, recs));
        }
        Ok((total, recs))
    }

    /// Cancels a job that has not started yet.
    pub async fn cancel(&self, id: &JobId) -> Result<ActionOutcome, redis::RedisError> {
        let Some(rec) = self.get(id).await? else {
            return Ok(ActionOutcome::NotFound);
        };
        let Ok(queue) = rec.queue.parse::<Queue>() else {
            return Ok(ActionOutcome::NotFound);
        };
        let mut conn = self.connection();
        let n: i64 = scripts::CANCEL
            .key(self.keys().job(id))
            .key(self.keys().active(queue))
            .key(self.keys().delayed())
            .key(self.keys().delayed_in(queue))
            .key(self.keys().data(queue))
            .arg(now_ms())
            .arg(queue.as_str())
            .arg(self.record_ttl_secs())
            .invoke_async(&mut conn)
            .await?;
        Ok(ActionOutcome::from_script(n))
    }

    /// Deletes a job that is not running.
    pub async fn delete(&self, id: &JobId) -> Result<ActionOutcome, redis::RedisError> {
        let Some(rec) = self.get(id).await? else {
            return Ok(ActionOutcome::NotFound);
        };
        let Ok(queue) = rec.queue.parse::<Queue>() else {
            return Ok(ActionOutcome::NotFound);
        };
        let mut conn = self.connection();
        let n: i64 = scripts::DELETE
            .key(self.keys().job(id))
            .key(self.keys().job_errors(id))
            .key(self.keys().active(queue))
            .key(self.keys().delayed())
            .key(self.keys().delayed_in(queue))
            .key(self.keys().dead())
            .key(self.keys().dead_in(queue))
            .key(self.keys().data(queue))
            .arg(queue.as_str())
            .arg(id.to_string())
            .invoke_async(&mut conn)
            .await?;
        Ok(ActionOutcome::from_script(n))
    }

    /// Runs a job now: a dead job is requeued with a fresh attempt budget, a scheduled or retrying one is
    /// moved to the back of the ready list at once.
    pub async fn retry_now(&self, id: &JobId) -> Result<ActionOutcome, super::EnqueueError> {
        let Some(rec) = self.get(id).await? else {
            return Ok(ActionOutcome::NotFound);
        };
        if rec.state == super::JobState::Dead {
            return Ok(match self.requeue(id).await? {
                RequeueOutcome::Requeued => ActionOutcome::Done,
                RequeueOutcome::NotDead => ActionOutcome::WrongState,
                RequeueOutcome::NotFound => ActionOutcome::NotFound,
            });
        }
        let Ok(queue) = rec.queue.parse::<Queue>() else {
            return Ok(ActionOutcome::NotFound);
        };
        let mut conn = self.connection();
        let n: i64 = scripts::RETRY_NOW
            .key(self.keys().job(id))
            .key(self.keys().active(queue))
            .key(self.keys().delayed())
            .key(self.keys().delayed_in(queue))
            .arg(now_ms())
            .arg(queue.as_str())
            .arg(self.keys().notify(queue))
            .invoke_async(&mut conn)
            .await?;
        Ok(ActionOutcome::from_script(n))
    }

    /// Number of dead jobs, in one queue or all.
    pub async fn dead_count(&self, queue: Option<Queue>) -> Result<u64, redis::RedisError> {
        let mut conn = self.connection();
        match queue {
            Some(q) => conn.zcard(self.keys().dead_in(q)).await,
            None => conn.zcard(self.keys().dead()).await,
        }
    }

    /// Requeues every job that was dead when the call started (of one queue, or all); returns how many were
    /// requeued. A requeued job that fails for good again while the call runs is left dead: requeueing it
    /// again would loop for as long as workers kill it faster than the call walks the set.
    pub async fn requeue_all_dead(
        &self,
        queue: Option<Queue>,
    ) -> Result<usize, super::EnqueueError> {
        let key = match queue {
            Some(q) => self.keys().dead_in(q),
            None => self.keys().dead(),
        };
        let mut conn = self.connection();
        // Dead sets are scored by time of death.
        let started = now_ms();
        let mut n = 0;
        loop {
            let ids: Vec<String> = conn
                .zrangebyscore_limit(&key, "-inf", started, 0, 500)
                .await?;
            if ids.is_empty() {
                return Ok(n);
            }
            let mut progressed = false;
            for id in ids.iter().filter_map(|i| i.parse::<JobId>().ok()) {
                if self.requeue(&id).await? == RequeueOutcome::Requeued {
                    n += 1;
                    progressed = true;
                } else {
                    // A stale entry: drop it so the loop ends.
                    let _: () = conn.zrem(&key, id.to_string()).await?;
                }
            }
            if !progressed && ids.len() < 500 {
                return Ok(n);
            }
        }
    }

    /// Per-minute activity of the last `minutes` minutes, oldest first (one queue, or all summed).
    pub async fn minute_series(
        &self,
        queue: Option<Queue>,
        minutes: usize,
    ) -> Result<Vec<MinutePoint>, redis::RedisError> {
        let now_minute = now_ms() / 60_000;
        let queues: Vec<Queue> = match queue {
            Some(q) => vec![q],
            None => Queue::ALL.to_vec(),
        };
        let first = now_minute - i64::try_from(minutes).unwrap_or(60) + 1;
        let mut pipe = redis::pipe();
        for m in first..=now_minute {
            for q in &queues {
                pipe.hgetall(self.keys().stats(*q, m));
            }
        }
        let mut conn = self.connection();
        let raw: Vec<HashMap<String, u64>> = pipe.query_async(&mut conn).await?;
        let mut out = Vec::with_capacity(minutes);
        for (i, m) in (first..=now_minute).enumerate() {
            let mut p = MinutePoint {
                minute: Utc
                    .timestamp_millis_opt(m * 60_000)
                    .single()
                    .unwrap_or_default(),
                succeeded: 0,
                failed: 0,
                dead: 0,
            };
            for h in &raw[i * queues.len()..(i + 1) * queues.len()] {
                p.succeeded += h.get("succeeded").copied().unwrap_or(0);
                p.failed += h.get("failed").copied().unwrap_or(0);
                p.dead += h.get("dead").copied().unwrap_or(0);
            }
            out.push(p);
        }
        Ok(out)
    }

    /// Counts of one queue (constant number of Redis round trips, whatever the queue sizes).
    pub async fn queue_stats(&self, queue: Queue) -> Result<QueueStats, redis::RedisError> {
        let keys = self.keys().clone();
        let mut conn = self.connection();
        let (waiting, scheduled, running, dead, paused): (u64, u64, u64, u64, bool) = redis::pipe()
            .llen(keys.active(queue))
            .zcard(keys.delayed_in(queue))
            .scard(keys.running(queue))
            .zcard(keys.dead_in(queue))
            .sismember(keys.paused(), queue.as_str())
            .query_async(&mut conn)
            .await?;
        let series = self.minute_series(Some(queue), 60).await?;
        let depth = self.depths(&[queue]).await?;
        Ok(QueueStats {
            queue,
            waiting,
            scheduled,
            running,
            dead,
            succeeded_last_hour: series.iter().map(|p| p.succeeded).sum(),
            failed_last_hour: series.iter().map(|p| p.failed).sum(),
            oldest_waiting_secs: depth.first().map(|d| d.oldest_waiting_secs).unwrap_or(0.0),
            paused,
        })
    }

    /// Worker processes whose heartbeat is recent.
    pub async fn processes(&self) -> Result<Vec<ProcessView>, redis::RedisError> {
        let mut conn = self.connection();
        let since = now_ms() - 30_000;
        let ids: Vec<String> = conn
            .zrangebyscore(self.keys().processes(), since, "+inf")
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let h: HashMap<String, String> = conn.hgetall(self.keys().process(&id)).await?;
            if h.is_empty() {
                continue;
            }
            out.push(ProcessView {
                host: h.get("host").cloned().unwrap_or_default(),
                pid: h.get("pid").and_then(|p| p.parse().ok()).unwrap_or(0),
                queues: h
                    .get("queues")
                    .map(|q| {
                        q.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                started_at: ms_to_time(h.get("started_at")),
                heartbeat_at: ms_to_time(h.get("heartbeat_at")),
                in_flight: h.get("in_flight").and_then(|v| v.parse().ok()).unwrap_or(0),
                id,
            });
        }
        Ok(out)
    }
}
