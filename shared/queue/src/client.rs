//! `JobQueue`: enqueue (single, bulk, delayed, idempotent), look up, requeue and report progress.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use shared::redis_conn::RedisConn;
use ulid::Ulid;

use crate::{AttemptError, JobEnvelope, JobId, JobRecord, Keys, now_ms, scripts};
use shared::jobs::{Job, JobSpec, Queue};
use shared::permissions::{Actor, Resource};

/// Options of one enqueue call.
#[derive(Debug, Clone, Default)]
pub struct EnqueueOptions {
    /// Run no earlier than this; `None` or a past time means now.
    pub run_at: Option<DateTime<Utc>>,
    /// A second enqueue with the same key returns the first job's id instead of enqueuing again.
    pub idempotency_key: Option<String>,
    /// Request id to carry into the job's span.
    pub request_id: Option<String>,
    /// Who enqueues: a user (checked again by the worker when the job runs) or the system (default).
    pub actor: Actor,
}

/// How far ahead `run_at` may be: a job due later than this is refused at enqueue (a typo such as year
/// 9999 would otherwise sit in the delayed set for ever).
pub const MAX_RUN_AT_AHEAD: chrono::TimeDelta = chrono::TimeDelta::days(366);

/// Result of an enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub job_id: JobId,
    /// True when the idempotency key matched an earlier job, whose id is returned.
    pub duplicate: bool,
}

/// Queue depth figures for health, metrics and the dashboard.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct QueueDepth {
    #[schema(value_type = String)]
    pub queue: Queue,
    /// Ready and waiting for a worker.
    pub waiting: u64,
    /// Age in seconds of the oldest waiting job (0 when none).
    pub oldest_waiting_secs: f64,
}

/// Outcome of a requeue request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequeueOutcome {
    Requeued,
    NotDead,
    NotFound,
}

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("unknown job `{0}`")]
    UnknownJob(String),
    #[error(transparent)]
    Payload(#[from] shared::jobs::PayloadError),
    #[error("idempotency key too long or empty (1..=200 bytes)")]
    BadIdempotencyKey,
    #[error("run_at is more than {} days ahead", MAX_RUN_AT_AHEAD.num_days())]
    RunAtTooFar,
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("encoding: {0}")]
    Json(#[from] serde_json::Error),
}

/// How long idempotency keys are remembered.
const IDEMPOTENCY_TTL_SECS: u64 = 7 * 86_400;
/// Jobs per enqueue script call in bulk mode: keeps each call short and its argument list bounded.
const BULK_CHUNK: usize = 500;

/// Handle on the job store; cheap to clone.
#[derive(Clone)]
pub struct JobQueue {
    conn: RedisConn,
    keys: Keys,
    record_ttl_secs: u64,
}

struct Item {
    spec: &'static JobSpec,
    payload: serde_json::Value,
    resource: Resource,
    opts: EnqueueOptions,
}

impl JobQueue {
    pub fn new(conn: RedisConn, keys: Keys, record_ttl: std::time::Duration) -> Self {
        Self {
            conn,
            keys,
            record_ttl_secs: record_ttl.as_secs().max(60),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// A clone of the underlying connection.
    pub fn connection(&self) -> RedisConn {
        self.conn.clone()
    }

    /// How long finished records stay.
    pub fn record_ttl_secs(&self) -> u64 {
        self.record_ttl_secs
    }

    /// Enqueues a typed job. The job's own idempotency key applies unless `opts` gives one.
    pub async fn enqueue<J: Job>(
        &self,
        job: &J,
        mut opts: EnqueueOptions,
    ) -> Result<Enqueued, EnqueueError> {
        if opts.idempotency_key.is_none() {
            opts.idempotency_key = job.idempotency_key();
        }
        let spec = shared::jobs::catalogue::find(J::NAME)
            .ok_or_else(|| EnqueueError::UnknownJob(J::NAME.into()))?;
        self.enqueue_validated(spec, serde_json::to_value(job)?, job.resource(), opts)
            .await
    }

    /// Enqueues many typed jobs with the same options (run_at, request id); idempotency keys come from
    /// each job. Uses one script call per 500 jobs.
    pub async fn enqueue_bulk<J: Job>(
        &self,
        jobs: &[J],
        opts: EnqueueOptions,
    ) -> Result<Vec<Enqueued>, EnqueueError> {
        let spec = shared::jobs::catalogue::find(J::NAME)
            .ok_or_else(|| EnqueueError::UnknownJob(J::NAME.into()))?;
        let mut items = Vec::with_capacity(jobs.len());
        for job in jobs {
            let mut o = opts.clone();
            o.idempotency_key = job
                .idempotency_key()
                .or_else(|| opts.idempotency_key.clone());
            items.push(Item {
                spec,
                payload: serde_json::to_value(job)?,
                resource: job.resource(),
                opts: o,
            });
        }
        self.enqueue_items(items).await
    }

    /// Enqueues a job by name with a JSON payload, validating it against the job's payload type first.
    pub async fn enqueue_json(
        &self,
        name: &str,
        payload: serde_json::Value,
        opts: EnqueueOptions,
    ) -> Result<Enqueued, EnqueueError> {
        let spec = shared::jobs::catalogue::find(name)
            .ok_or_else(|| EnqueueError::UnknownJob(name.into()))?;
        let resource = spec.check(&payload)?;
        self.enqueue_validated(spec, payload, resource, opts).await
    }

    /// Enqueues a JSON payload for the catalogue entry `spec`, which the caller found and whose payload it
    /// has already checked (`JobSpec::check`, giving `resource`), so neither is done twice on the way from
    /// HTTP to Redis.
    pub async fn enqueue_validated(
        &self,
        spec: &'static JobSpec,
        payload: serde_json::Value,
        resource: Resource,
        mut opts: EnqueueOptions,
    ) -> Result<Enqueued, EnqueueError> {
        let name = spec.name;
        // The caller's key wins; otherwise the job type's own (as typed enqueues use).
        if opts.idempotency_key.is_none() {
            opts.idempotency_key = spec.idempotency_key(&payload);
        }
        let mut out = self
            .enqueue_items(vec![Item {
                spec,
                payload,
                resource,
                opts,
            }])
            .await?;
        out.pop()
            .ok_or_else(|| EnqueueError::UnknownJob(name.into()))
    }

    async fn enqueue_items(&self, items: Vec<Item>) -> Result<Vec<Enqueued>, EnqueueError> {
        let mut by_queue: HashMap<Queue, Vec<Item>> = HashMap::new();
        let latest = Utc::now() + MAX_RUN_AT_AHEAD;
        for item in items {
            if item.opts.run_at.is_some_and(|at| at > latest) {
                return Err(EnqueueError::RunAtTooFar);
            }
            if let Some(k) = &item.opts.idempotency_key
                && (k.is_empty() || k.len() > 200)
            {
                return Err(EnqueueError::BadIdempotencyKey);
            }
            by_queue.entry(item.spec.queue).or_default().push(item);
        }
        let mut out = Vec::new();
        let mut conn = self.conn.clone();
        for (queue, items) in by_queue {
            for chunk in items.chunks(BULK_CHUNK) {
                let now = now_ms();
                let mut inv = scripts::ENQUEUE.prepare_invoke();
                inv.key(self.keys.data(queue))
                    .key(self.keys.active(queue))
                    .key(self.keys.delayed())
                    .key(self.keys.delayed_in(queue))
                    .arg(self.keys.job_prefix())
                    .arg(self.keys.idempotency_prefix())
                    .arg(queue.as_str())
                    .arg(now)
                    .arg(IDEMPOTENCY_TTL_SECS)
                    .arg(self.keys.notify(queue));
                for item in chunk {
                    // The id's timestamp is when the job becomes eligible, so the head of a queue tells its age.
                    let job_id = match item.opts.run_at.map(|t| t.timestamp_millis()) {
                        Some(at) if at > now => JobId(Ulid::from_parts(
                            u64::try_from(at).unwrap_or(0),
                            rand::random(),
                        )),
                        _ => JobId::new(),
                    };
                    let envelope = JobEnvelope {
                        job_id,
                        task_id: job_id.0,
                        job: item.spec.name.to_owned(),
                        payload: item.payload.clone(),
                        request_id: item.opts.request_id.clone(),
                        actor: item.opts.actor,
                        resource: Some(item.resource.to_string()),
                    };
                    inv.arg(job_id.to_string())
                        .arg(serde_json::to_string(&envelope)?)
                        .arg(item.spec.name)
                        .arg(item.spec.policy.max_attempts)
                        .arg(item.opts.run_at.map(|t| t.timestamp_millis()).unwrap_or(0))
                        .arg(item.opts.idempotency_key.as_deref().unwrap_or(""))
                        .arg(serde_json::to_string(&item.payload)?)
                        .arg(item.opts.actor.to_string())
                        .arg(item.resource.to_string());
                }
                let flat: Vec<String> = inv.invoke_async(&mut conn).await?;
                for pair in flat.chunks(2) {
                    if let [id, dup] = pair {
                        let job_id = id.parse().map_err(|_| {
                            redis::RedisError::from((
                                redis::ErrorKind::UnexpectedReturnType,
                                "bad job id from enqueue",
                            ))
                        })?;
                        out.push(Enqueued {
                            job_id,
                            duplicate: dup == "1",
                        });
                        metrics::counter!("jobs_enqueued_total", "job" => chunk[0].spec.name)
                            .increment(u64::from(dup != "1"));
                    }
                }
            }
        }
        // Sentinel mode: acknowledge once a replica holds the jobs, so a failover now cannot lose them.
        conn.confirm_replicated().await;
        Ok(out)
    }

    /// The job's record, or `None` if unknown (or expired).
    pub async fn get(&self, id: &JobId) -> Result<Option<JobRecord>, redis::RedisError> {
        let mut conn = self.conn.clone();
        let (hash, errors): (HashMap<String, String>, Vec<String>) = redis::pipe()
            .hgetall(self.keys.job(id))
            .lrange(self.keys.job_errors(id), 0, -1)
            .query_async(&mut conn)
            .await?;
        let errors = errors
            .iter()
            .filter_map(|e| serde_json::from_str::<AttemptError>(e).ok())
            .collect();
        Ok(JobRecord::from_hash(*id, &hash, errors))
    }

    /// Dead jobs, newest first.
    pub async fn dead(
        &self,
        offset: usize,
        limit: usize,
    ) -> Result<(u64, Vec<JobRecord>), redis::RedisError> {
        let mut conn = self.conn.clone();
        let total: u64 = conn.zcard(self.keys.dead()).await?;
        let stop = isize::try_from(offset + limit).unwrap_or(isize::MAX) - 1;
        let ids: Vec<String> = conn
            .zrevrange(
                self.keys.dead(),
                isize::try_from(offset).unwrap_or(isize::MAX),
                stop,
            )
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Ok(id) = id.parse::<JobId>()
                && let Some(rec) = self.get(&id).await?
            {
                out.push(rec);
            }
        }
        Ok((total, out))
    }

    /// Puts a dead job back on its queue with a fresh attempt budget.
    pub async fn requeue(&self, id: &JobId) -> Result<RequeueOutcome, EnqueueError> {
        let Some(rec) = self.get(id).await? else {
            return Ok(RequeueOutcome::NotFound);
        };
        let spec = shared::jobs::catalogue::find(&rec.job)
            .ok_or_else(|| EnqueueError::UnknownJob(rec.job.clone()))?;
        let queue = spec.queue;
        let task_id = Ulid::new();
        let envelope = JobEnvelope {
            job_id: *id,
            task_id,
            job: rec.job.clone(),
            payload: rec.payload.clone(),
            request_id: None,
            actor: rec.actor,
            resource: rec.resource.clone(),
        };
        let mut conn = self.conn.clone();
        let n: i64 = scripts::REQUEUE
            .key(self.keys.job(id))
            .key(self.keys.dead())
            .key(self.keys.data(queue))
            .key(self.keys.active(queue))
            .key(self.keys.dead_in(queue))
            .arg(now_ms())
            .arg(id.to_string())
            .arg(task_id.to_string())
            .arg(serde_json::to_string(&envelope)?)
            .arg(self.keys.notify(queue))
            .invoke_async(&mut conn)
            .await?;
        Ok(match n {
            1 => RequeueOutcome::Requeued,
            0 => RequeueOutcome::NotDead,
            _ => RequeueOutcome::NotFound,
        })
    }

    /// Records progress of a running job (percent clamped to 100) and publishes it on
    /// [`Keys::job_events_channel`] for live streams, in one round trip.
    pub async fn set_progress(
        &self,
        id: &JobId,
        percent: u8,
        message: Option<&str>,
    ) -> Result<(), redis::RedisError> {
        let mut conn = self.conn.clone();
        let percent = percent.min(100);
        let message: String = message.unwrap_or("").chars().take(500).collect();
        let at = now_ms();
        let event = serde_json::json!({
            "job_id": id.to_string(),
            "progress_pct": percent,
            "progress_msg": message,
            "progress_at": at,
        });
        let _: () = redis::pipe()
            .hset_multiple(
                self.keys.job(id),
                &[
                    ("progress_pct", percent.to_string()),
                    ("progress_msg", message),
                    ("progress_at", at.to_string()),
                ],
            )
            .ignore()
            .publish(self.keys.job_events_channel(), event.to_string())
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Waiting count and oldest waiting age per queue.
    pub async fn depths(&self, queues: &[Queue]) -> Result<Vec<QueueDepth>, redis::RedisError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        for q in queues {
            pipe.llen(self.keys.active(*q))
                .lindex(self.keys.active(*q), 0);
        }
        let raw: Vec<(u64, Option<String>)> = pipe.query_async(&mut conn).await?;
        let now = now_ms();
        Ok(queues
            .iter()
            .zip(raw)
            .map(|(q, (waiting, head))| {
                // A task id is a ULID: its timestamp is when the task became eligible or earlier.
                let age_ms = head
                    .and_then(|h| Ulid::from_string(&h).ok())
                    .map(|u| (now - i64::try_from(u.timestamp_ms()).unwrap_or(now)).max(0))
                    .unwrap_or(0);
                QueueDepth {
                    queue: *q,
                    waiting,
                    oldest_waiting_secs: age_ms as f64 / 1000.0,
                }
            })
            .collect())
    }

    /// Pauses a queue cluster-wide: it keeps accepting jobs, workers stop fetching within a second.
    pub async fn pause(&self, queue: Queue) -> Result<bool, redis::RedisError> {
        let mut conn = self.conn.clone();
        let added: u64 = conn.sadd(self.keys.paused(), queue.as_str()).await?;
        Ok(added == 1)
    }

    /// Resumes a paused queue; idle workers are woken at once.
    pub async fn resume(&self, queue: Queue) -> Result<bool, redis::RedisError> {
        let mut conn = self.conn.clone();
        let (removed, _): (u64, u64) = redis::pipe()
            .srem(self.keys.paused(), queue.as_str())
            .publish(self.keys.notify(queue), 1)
            .query_async(&mut conn)
            .await?;
        Ok(removed == 1)
    }

    /// Queues currently paused.
    pub async fn paused(&self) -> Result<Vec<Queue>, redis::RedisError> {
        let mut conn = self.conn.clone();
        let names: Vec<String> = conn.smembers(self.keys.paused()).await?;
        Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
    }

    /// Number of delayed (scheduled or retrying) tasks, all queues.
    pub async fn delayed_count(&self) -> Result<u64, redis::RedisError> {
        let mut conn = self.conn.clone();
        conn.zcard(self.keys.delayed()).await
    }
}
