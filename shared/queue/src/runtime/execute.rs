//! One attempt of one job: bookkeeping around the handler, and the retry/dead-letter decision.
//!
//! apalis only sees success or an `AbortError`; every retry is scheduled by us as a new apalis task with its
//! own id. That neutralises apalis-redis' hidden retry loop (it re-schedules failed tasks up to attempt 25,
//! ignoring any maximum) and gives exactly `max_attempts` attempts with our backoff.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{AttemptError, JobEnvelope, now_ms, scripts};
use apalis_core::error::{AbortError, BoxDynError};
use chrono::Utc;
use futures::FutureExt;
use shared::jobs::JobSpec;
use tracing::Instrument;

use chrono::TimeZone;
use shared::models::job_history::JobHistory;

use super::bookkeeping::{Bookkeeping, TaskKeys};
use super::history::HistorySink;
use super::registry::Registered;
use super::throttle::{self, Gate, Hold};
use super::{AppCtx, JobCtx, JobError, Registry};

/// Runs attempts for every queue of this process.
pub struct Executor {
    pub app: Arc<AppCtx>,
    pub registry: Registry,
    pub worker_id: String,
    /// Where finished-job summaries go (Postgres history); `None` disables history.
    pub history: Option<HistorySink>,
    /// Jobs running in this process now (published with the process heartbeat).
    pub in_flight: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Batched start/succeed scripts.
    pub book: Bookkeeping,
}

/// How an attempt ends for apalis.
enum Failure {
    /// Handled by us (retry scheduled or dead-lettered): apalis must not retry.
    Abort(String),
    /// Bookkeeping impossible (Redis away): the task is handed back to its queue once Redis answers.
    Redeliver(String),
}

impl Failure {
    fn into_box(self) -> BoxDynError {
        match self {
            Failure::Abort(msg) => Box::new(AbortError::new(msg)),
            Failure::Redeliver(msg) => Box::new(std::io::Error::other(msg)),
        }
    }
}

enum Verdict {
    Succeeded(serde_json::Value),
    Failed(JobError),
}

impl Executor {
    /// Entry point called by apalis for each task; `task` locates it in the queue's storage. The store has
    /// no ack: every ending forgets the task here, or hands it back to the queue when Redis cannot be
    /// written.
    pub async fn run(
        &self,
        env: JobEnvelope,
        task: TaskKeys,
    ) -> Result<serde_json::Value, BoxDynError> {
        use std::sync::atomic::Ordering;
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let out = self.run_traced(env, &task).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        if let Err(Failure::Redeliver(_)) = &out {
            self.book.hand_back_later(task);
        }
        out.map_err(Failure::into_box)
    }

    async fn run_traced(
        &self,
        env: JobEnvelope,
        task: &TaskKeys,
    ) -> Result<serde_json::Value, Failure> {
        let span = tracing::info_span!(
            "job",
            job.id = %env.job_id,
            job.name = %env.job,
            request_id = env.request_id.as_deref().unwrap_or("-"),
            attempt = tracing::field::Empty,
        );
        self.run_inner(env, task).instrument(span).await
    }

    async fn run_inner(
        &self,
        env: JobEnvelope,
        task: &TaskKeys,
    ) -> Result<serde_json::Value, Failure> {
        // One lookup by name per attempt: the registry holds the job's catalogue entry beside its handler.
        let Some(job) = self.registry.get(&env.job) else {
            // Cannot happen through the enqueue API; a task written by hand or by a newer release.
            tracing::error!("unknown job name in task; dropping it");
            self.forget(task).await?;
            return Err(Failure::Abort("unknown job".into()));
        };
        let spec = &job.spec;
        let started_at = Utc::now();
        let bucket = self
            .app
            .config
            .rate_limits
            .bucket_of(spec.name, spec.rate_limit, || {
                spec.rate_limit_scope(&env.payload)
            });
        let gate = match &bucket {
            Some((name, limit)) => {
                throttle::start(
                    &self.app.queue,
                    &env,
                    spec.queue,
                    &self.worker_id,
                    (name, *limit),
                )
                .await
            }
            None => self
                .book
                .start(&env, spec.queue)
                .await
                .map(|(n, created)| Gate::Started(n, created)),
        };
        let (attempt, created_ms) = match gate {
            Ok(Gate::Wait(delay)) => {
                let hold = || Hold {
                    delay,
                    started: false,
                    pause: None,
                };
                self.bookkeep("throttle", || {
                    throttle::reschedule(&self.app.queue, &env, spec.queue, hold())
                })
                .await?;
                let bucket = bucket.as_ref().map_or("", |b| b.0.as_ref()).to_owned();
                metrics::counter!("jobs_throttled_total", "job" => spec.name, "bucket" => bucket)
                    .increment(1);
                tracing::debug!(
                    wait_ms = delay.as_millis() as u64,
                    "rate-limited; job re-scheduled"
                );
                self.forget(task).await?;
                return Ok(serde_json::Value::Null);
            }
            Ok(Gate::Started(n, created)) if n > 0 => (n as u32, created),
            Ok(Gate::Started(-1, _)) => {
                tracing::warn!("job record missing (expired or deleted); skipping task");
                self.forget(task).await?;
                return Ok(serde_json::Value::Null);
            }
            Ok(_) => {
                tracing::info!("stale task for a job that moved on; skipping");
                self.forget(task).await?;
                return Ok(serde_json::Value::Null);
            }
            Err(e) => {
                // Redis unavailable: the task is handed back once it answers again.
                tracing::warn!(error = %e, "could not mark job as started");
                return Err(Failure::Redeliver(e.to_string()));
            }
        };
        tracing::Span::current().record("attempt", attempt);
        let started = Instant::now();
        let verdict = self.call_handler(job, &env, attempt).await;
        let elapsed = started.elapsed();
        metrics::histogram!("job_duration_seconds", "job" => spec.name)
            .record(elapsed.as_secs_f64());
        match verdict {
            Verdict::Succeeded(result) => {
                self.bookkeep("succeed", || async {
                    self.book
                        .succeed(&env, attempt, &result, task)
                        .await
                        .map(drop)
                })
                .await?;
                self.record_history(spec, &env, attempt, created_ms, started_at, None);
                metrics::counter!("jobs_succeeded_total", "job" => spec.name).increment(1);
                tracing::info!(duration_ms = elapsed.as_millis() as u64, "job succeeded");
                Ok(result)
            }
            Verdict::Failed(JobError::Throttled { error, retry_after }) if bucket.is_some() => {
                let name = bucket.as_ref().map_or("", |b| b.0.as_ref());
                let hold = || Hold {
                    delay: retry_after,
                    started: true,
                    pause: Some(name),
                };
                self.bookkeep("throttle", || {
                    throttle::reschedule(&self.app.queue, &env, spec.queue, hold())
                })
                .await?;
                metrics::counter!("jobs_throttled_total", "job" => spec.name, "bucket" => name.to_owned())
                    .increment(1);
                tracing::info!(
                    retry_after_ms = retry_after.as_millis() as u64,
                    error = %format!("{error:#}"),
                    "provider rate limit: bucket paused, job re-scheduled"
                );
                self.forget(task).await?;
                Err(Failure::Abort("rate limited by the provider".into()))
            }
            Verdict::Failed(err) => {
                metrics::counter!("jobs_failed_total", "job" => spec.name).increment(1);
                let text = err.describe();
                let out_of_attempts = attempt >= spec.policy.max_attempts;
                if err.is_permanent() || out_of_attempts {
                    let task_id = env.task_id.to_string();
                    self.bookkeep("bury", || {
                        self.app.queue.bury(
                            spec.queue,
                            &env.job_id,
                            &task_id,
                            attempt,
                            &text,
                            err.is_permanent(),
                        )
                    })
                    .await?;
                    self.record_history(
                        spec,
                        &env,
                        attempt,
                        created_ms,
                        started_at,
                        Some((&text, err.is_permanent())),
                    );
                    metrics::counter!("jobs_dead_total", "job" => spec.name).increment(1);
                    tracing::warn!(permanent = err.is_permanent(), error = %text, "job moved to dead-letter");
                } else {
                    let delay = match &err {
                        JobError::Transient {
                            retry_in: Some(d), ..
                        }
                        | JobError::Throttled { retry_after: d, .. } => *d,
                        _ => spec.policy.backoff.delay(attempt),
                    };
                    self.bookkeep("retry", || self.retry(spec, &env, attempt, &text, delay))
                        .await?;
                    metrics::counter!("jobs_retried_total", "job" => spec.name).increment(1);
                    tracing::info!(retry_in_ms = delay.as_millis() as u64, error = %text, "job failed; retry scheduled");
                }
                self.forget(task).await?;
                Err(Failure::Abort(text))
            }
        }
    }

    async fn call_handler(&self, job: &Registered, env: &JobEnvelope, attempt: u32) -> Verdict {
        let (spec, handler) = (&job.spec, &job.handler);
        let ctx = JobCtx {
            app: self.app.clone(),
            job_id: env.job_id,
            attempt,
            max_attempts: spec.policy.max_attempts,
            actor: env.actor,
        };
        let fut = AssertUnwindSafe(handler(ctx, env.payload.clone())).catch_unwind();
        match tokio::time::timeout(spec.policy.timeout, fut).await {
            Ok(Ok(Ok(value))) => Verdict::Succeeded(value),
            Ok(Ok(Err(e))) => Verdict::Failed(e),
            // A panic is a bug: retrying the same input would panic again.
            Ok(Err(_)) => Verdict::Failed(JobError::permanent(anyhow::anyhow!("job panicked"))),
            Err(_) => Verdict::Failed(JobError::transient(anyhow::anyhow!(
                "timed out after {}s",
                spec.policy.timeout.as_secs()
            ))),
        }
    }

    /// Forgets the task of an attempt that ended without success (see `bookkeeping::TaskKeys`).
    async fn forget(&self, task: &TaskKeys) -> Result<(), Failure> {
        self.bookkeep("forget", || self.book.forget(task)).await
    }

    /// Runs a bookkeeping script, retrying through short Redis outages. If Redis stays away, the attempt
    /// ends as `Redeliver`: the same task goes back to its queue once Redis answers, and nothing is lost.
    async fn bookkeep<F, Fut, T>(&self, what: &str, f: F) -> Result<T, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, redis::RedisError>>,
    {
        let mut delay = Duration::from_millis(100);
        for _ in 0..8 {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    tracing::warn!(step = what, error = %e, "job bookkeeping failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
        Err(Failure::Redeliver(format!(
            "job bookkeeping `{what}` failed: redis unavailable"
        )))
    }

    fn record_history(
        &self,
        spec: &JobSpec,
        env: &JobEnvelope,
        attempt: u32,
        created_ms: i64,
        started_at: chrono::DateTime<Utc>,
        // The last error, and whether it was permanent.
        error: Option<(&str, bool)>,
    ) {
        let Some(sink) = &self.history else { return };
        let finished_at = Utc::now();
        sink.record(JobHistory {
            job_id: env.job_id.to_string(),
            job: spec.name.to_owned(),
            queue: spec.queue.as_str().to_owned(),
            state: if error.is_some() { "dead" } else { "succeeded" }.to_owned(),
            attempts: i32::try_from(attempt).unwrap_or(i32::MAX),
            created_at: Utc
                .timestamp_millis_opt(created_ms)
                .single()
                .unwrap_or(started_at),
            started_at: Some(started_at),
            finished_at,
            duration_ms: Some((finished_at - started_at).num_milliseconds()),
            last_error: error.map(|(e, _)| e.to_owned()),
            request_id: env.request_id.clone(),
            actor_user_id: env.actor.user_id(),
            resource: env.resource.clone(),
            permanent: error.is_some_and(|(_, p)| p),
        });
    }

    async fn retry(
        &self,
        spec: &JobSpec,
        env: &JobEnvelope,
        attempt: u32,
        text: &str,
        delay: Duration,
    ) -> Result<(), redis::RedisError> {
        let keys = self.app.queue.keys();
        let due = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
        let (task_id, envelope) = env.next_task(due);
        let mut conn = self.app.queue.connection();
        let _: i64 = scripts::RETRY
            .key(keys.job(&env.job_id))
            .key(keys.job_errors(&env.job_id))
            .key(keys.data(spec.queue))
            .key(keys.delayed())
            .key(keys.delayed_in(spec.queue))
            .key(keys.running(spec.queue))
            .key(keys.stats(spec.queue, now_ms() / 60_000))
            .arg(now_ms())
            .arg(AttemptError::entry_now(attempt, text, false))
            .arg(text)
            .arg(due)
            .arg(task_id.to_string())
            .arg(envelope)
            .arg(spec.queue.as_str())
            .arg(env.task_id.to_string())
            .arg(env.job_id.to_string())
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}
