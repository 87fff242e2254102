//! Global rate-limit buckets at the start of an attempt: a job whose bucket has no token is re-scheduled
//! for when one is due, without counting an attempt; a provider's 429 pauses the bucket for everyone.

use std::time::Duration;

use shared::config::BucketLimit;
use shared::jobs::Queue;

use crate::{JobEnvelope, JobQueue, now_ms, scripts};

/// What asking the bucket for a start answered.
pub enum Gate {
    /// Started: attempt number (or -1 record gone, -2 stale task) and the job's creation time.
    Started(i64, i64),
    /// No token: try again in this long.
    Wait(Duration),
}

/// How many times a woken job waits in place for its token (at most an interval, at most 2 s, each time)
/// before it is re-scheduled like any throttled job.
const IN_PLACE_TRIES: u32 = 3;

/// Takes a token from `bucket` and marks the job running, in one script call. A job woken from its turn
/// whose token is less than one interval away waits for it here (see `start_limited.lua`).
pub async fn start(
    queue: &JobQueue,
    env: &JobEnvelope,
    job_queue: Queue,
    worker_id: &str,
    bucket: (&str, BucketLimit),
) -> Result<Gate, redis::RedisError> {
    let mut tries = 0;
    loop {
        match try_start(queue, env, job_queue, worker_id, bucket).await? {
            (_, Some(wait)) if tries < IN_PLACE_TRIES => {
                tries += 1;
                tokio::time::sleep(wait).await;
            }
            (gate, _) => return Ok(gate),
        }
    }
}

/// One script call; the second value is set when the job should wait that long in place.
async fn try_start(
    queue: &JobQueue,
    env: &JobEnvelope,
    job_queue: Queue,
    worker_id: &str,
    (bucket, limit): (&str, BucketLimit),
) -> Result<(Gate, Option<Duration>), redis::RedisError> {
    let keys = queue.keys();
    let mut conn = queue.connection();
    let (attempt, created, wait, in_place): (i64, i64, i64, i64) = scripts::START_LIMITED
        .key(keys.job(&env.job_id))
        .key(keys.running(job_queue))
        .key(keys.bucket(bucket))
        .key(keys.buckets())
        .arg(env.task_id.to_string())
        .arg(worker_id)
        .arg(limit.limit)
        .arg(u64::try_from(limit.period.as_millis()).unwrap_or(u64::MAX))
        .arg(limit.burst)
        .arg(bucket)
        .arg(env.job_id.to_string())
        .invoke_async(&mut conn)
        .await?;
    let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0).max(1));
    Ok(if attempt == 0 {
        (Gate::Wait(wait), (in_place == 1).then_some(wait))
    } else {
        (Gate::Started(attempt, created), None)
    })
}

/// How a held-back job goes back to the queue.
pub struct Hold<'a> {
    pub delay: Duration,
    /// The attempt had started (a provider's 429): its count is handed back.
    pub started: bool,
    /// Pause this bucket for `delay` across every worker (a provider's `Retry-After`).
    pub pause: Option<&'a str>,
}

/// Re-schedules the job as a new task `hold.delay` from now. `Ok(false)` when the task was stale.
pub async fn reschedule(
    queue: &JobQueue,
    env: &JobEnvelope,
    job_queue: Queue,
    hold: Hold<'_>,
) -> Result<bool, redis::RedisError> {
    let keys = queue.keys();
    let delay_ms = i64::try_from(hold.delay.as_millis()).unwrap_or(i64::MAX / 4);
    let due = now_ms() + delay_ms;
    let (task_id, envelope) = env.next_task(due);
    let mut conn = queue.connection();
    let done: i64 = scripts::THROTTLE
        .key(keys.job(&env.job_id))
        .key(keys.data(job_queue))
        .key(keys.delayed())
        .key(keys.delayed_in(job_queue))
        .key(keys.running(job_queue))
        .key(keys.bucket(hold.pause.unwrap_or("-")))
        .arg(env.task_id.to_string())
        .arg(due)
        .arg(task_id.to_string())
        .arg(envelope)
        .arg(job_queue.as_str())
        .arg(env.job_id.to_string())
        .arg(if hold.started { "1" } else { "0" })
        .arg(if hold.pause.is_some() { delay_ms } else { 0 })
        .invoke_async(&mut conn)
        .await?;
    Ok(done == 1)
}
