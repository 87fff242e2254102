//! What a job handler gets: shared clients and the attempt's own facts.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::{JobId, JobQueue};
use shared::config::{OAuthConfig, WorkerConfig};
use shared::db::PgPool;
use shared::permissions::Actor;
use shared::progress::ReportProgress;

/// Process-wide dependencies, shared by every job.
pub struct AppCtx {
    pub config: WorkerConfig,
    /// OAuth clients and API URLs, for refreshing tokens and syncing Gmail and Outlook accounts.
    pub oauth: OAuthConfig,
    pub db: PgPool,
    pub queue: JobQueue,
    /// The URL jobs that shell out (pg_dump) connect with.
    pub database_url: String,
}

/// One attempt of one job.
#[derive(Clone)]
pub struct JobCtx {
    pub app: Arc<AppCtx>,
    pub job_id: JobId,
    /// 1-based attempt number.
    pub attempt: u32,
    pub max_attempts: u32,
    /// Who enqueued the job (re-checked against the job's resource before the handler runs).
    pub actor: Actor,
}

impl JobCtx {
    /// Reports progress (percent 0..=100 and a short message without personal data). Never fails the job.
    pub async fn progress(&self, percent: u8, message: &str) {
        if let Err(e) = self
            .app
            .queue
            .set_progress(&self.job_id, percent, Some(message))
            .await
        {
            tracing::warn!(job.id = %self.job_id, error = %e, "could not record progress");
        }
    }

    /// The job queue, for jobs that enqueue other jobs.
    pub fn queue(&self) -> &JobQueue {
        &self.app.queue
    }
}

/// The running job is where its domain work reports progress (shown in its record).
impl ReportProgress for JobCtx {
    fn report<'a>(&'a self, percent: u8, message: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(self.progress(percent, message))
    }
}
