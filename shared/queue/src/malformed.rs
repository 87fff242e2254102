//! Dead letters written outside a job's run, and the envelopes workers set aside.
//!
//! A worker that cannot decode a task's envelope (written by hand, by another release, or damaged) keeps the raw
//! envelope in the queue's malformed hash (`{ns}:malformed:{queue}`, task id -> envelope) and, when the envelope
//! belongs to a job whose record still names that task, moves the job to the dead-letter set with the reason.
//! Requeueing the dead job builds a fresh envelope from its record, so nothing is lost; the raw copy stays for
//! inspection until an operator discards it.

use redis::AsyncCommands;
use serde::Serialize;

use crate::{AttemptError, JobId, JobQueue, now_ms, scripts};
use shared::jobs::Queue;

/// Most entries one listing returns.
pub const MALFORMED_LIST_MAX: usize = 200;

/// The reason recorded on a job whose envelope could not be decoded.
pub const UNREADABLE_ENVELOPE: &str = "task envelope could not be decoded by the worker (kept in the queue's \
     malformed set); requeue the job to run it from its record";

/// One set-aside envelope, without its content (which can hold personal data).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MalformedTask {
    #[schema(value_type = String)]
    pub queue: Queue,
    pub task_id: String,
    /// Size of the raw envelope.
    pub bytes: usize,
    /// The job the envelope belongs to, when it names one (a readable `job_id`, or a task id that is a job's
    /// id) whose record exists.
    pub job_id: Option<String>,
    /// Whether the content is JSON at all (false: truncated or not JSON).
    pub json: bool,
}

/// The job a raw envelope most likely belongs to: its `job_id` when it is JSON with one, else the task id
/// itself (a job's first task has the job's id). The candidate is only a guess; [`JobQueue::bury`] checks
/// that the job's record names the task.
pub fn candidate_job(task_id: &str, raw: &[u8]) -> Option<JobId> {
    serde_json::from_slice::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| v.get("job_id")?.as_str()?.parse().ok())
        .or_else(|| task_id.parse().ok())
}

impl JobQueue {
    /// Moves job `job_id` to the dead-letter set with `reason`, provided its record still names `task_id`
    /// (a stale task changes nothing). `attempt` numbers the error entry. Returns whether the job moved.
    pub async fn bury(
        &self,
        queue: Queue,
        job_id: &JobId,
        task_id: &str,
        attempt: u32,
        reason: &str,
        permanent: bool,
    ) -> Result<bool, redis::RedisError> {
        let keys = self.keys();
        let moved: i64 = scripts::BURY
            .key(keys.job(job_id))
            .key(keys.job_errors(job_id))
            .key(keys.dead())
            .key(keys.dead_in(queue))
            .key(keys.running(queue))
            .key(keys.stats(queue, now_ms() / 60_000))
            .arg(now_ms())
            .arg(AttemptError::entry_now(attempt, reason, permanent))
            .arg(reason)
            .arg(job_id.to_string())
            .arg(task_id)
            .invoke_async(&mut self.connection())
            .await?;
        Ok(moved == 1)
    }

    /// Set-aside envelopes of `queue`: how many there are, and up to `limit` of them (in Redis' hash order).
    pub async fn malformed(
        &self,
        queue: Queue,
        limit: usize,
    ) -> Result<(u64, Vec<MalformedTask>), redis::RedisError> {
        let key = self.keys().malformed(queue);
        let mut conn = self.connection();
        let total: u64 = conn.hlen(&key).await?;
        let mut out = Vec::new();
        // HSCAN may return an entry twice while the hash is rehashed.
        let mut seen = std::collections::HashSet::new();
        let mut cursor: u64 = 0;
        let limit = limit.min(MALFORMED_LIST_MAX);
        loop {
            let (next, pairs): (u64, Vec<(String, Vec<u8>)>) = redis::cmd("HSCAN")
                .arg(&key)
                .arg(cursor)
                .arg("COUNT")
                .arg(100)
                .query_async(&mut conn)
                .await?;
            for (task_id, raw) in pairs {
                if out.len() >= limit {
                    break;
                }
                if !seen.insert(task_id.clone()) {
                    continue;
                }
                let json = serde_json::from_slice::<serde::de::IgnoredAny>(&raw).is_ok();
                out.push(MalformedTask {
                    queue,
                    job_id: candidate_job(&task_id, &raw).map(|j| j.to_string()),
                    bytes: raw.len(),
                    json,
                    task_id,
                });
            }
            if next == 0 || out.len() >= limit {
                break;
            }
            cursor = next;
        }
        // Only jobs that exist are named.
        let mut pipe = redis::pipe();
        let named: Vec<&mut MalformedTask> =
            out.iter_mut().filter(|m| m.job_id.is_some()).collect();
        for m in &named {
            pipe.exists(format!(
                "{}{}",
                self.keys().job_prefix(),
                m.job_id.as_deref().unwrap_or_default()
            ));
        }
        if !named.is_empty() {
            let found: Vec<bool> = pipe.query_async(&mut conn).await?;
            for (m, found) in named.into_iter().zip(found) {
                if !found {
                    m.job_id = None;
                }
            }
        }
        Ok((total, out))
    }

    /// Removes one set-aside envelope; returns whether it existed.
    pub async fn discard_malformed(
        &self,
        queue: Queue,
        task_id: &str,
    ) -> Result<bool, redis::RedisError> {
        let removed: u64 = self
            .connection()
            .hdel(self.keys().malformed(queue), task_id)
            .await?;
        Ok(removed == 1)
    }
}
