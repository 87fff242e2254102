//! The jobs of data subjects' requests: `rgpd.export` builds the archive and opens its download link,
//! `rgpd.erase` forgets the subject. Both move the request from `queued` to `running` to `done` (or
//! `failed`, with a reason free of personal data).

use anyhow::anyhow;
use chrono::Utc;
use crm_queue::JobError;
use serde_json::{Value, json};
use shared::db::run_blocking;
use shared::jobs::Job;
use shared::jobs::payloads::rgpd::{Erase, Export};
use shared::models::access_log::{self, AccessAction, NewAccessLog};
use shared::models::erasure_ledger::ErasureReason;
use shared::models::rgpd_request::{
    self as requests, RequestKind, RgpdRequest, RgpdRequestId, SubjectType,
};
use shared::models::user::{self, Role};
use shared::progress::ReportProgress;

use crate::forget::{Cause, forget_and_purge};
use crate::{RgpdEnv, export};

/// Loads the request, checks its kind and moves it to `running`.
async fn start(
    env: &RgpdEnv,
    id: RgpdRequestId,
    kind: RequestKind,
) -> Result<RgpdRequest, JobError> {
    let (found, started) = run_blocking(&env.pool, move |c| {
        let found = requests::find(c, id)?;
        let started = match &found {
            Some(r) if r.kind == kind => requests::start(c, id)?,
            _ => false,
        };
        Ok((found, started))
    })
    .await
    .map_err(|e| JobError::db(e, "starting the request"))?;
    let Some(request) = found else {
        return Err(JobError::permanent(anyhow!("request {id} does not exist")));
    };
    if request.kind != kind {
        return Err(JobError::permanent(anyhow!(
            "request {id} is not an {kind} request"
        )));
    }
    if !started {
        return Err(JobError::permanent(anyhow!(
            "request {id} is {}, not queued",
            request.state
        )));
    }
    Ok(request)
}

/// Records the failure on the request before handing the error back, when no attempt will follow: a
/// permanent error, or any error of the job's last attempt (`final_attempt`). Otherwise the request stays
/// `running` and the retry picks it up.
async fn failed(
    env: &RgpdEnv,
    id: RgpdRequestId,
    error: JobError,
    final_attempt: bool,
) -> JobError {
    let cause = match &error {
        JobError::Permanent(e) => Some(e),
        JobError::Transient { error: e, .. } | JobError::Throttled { error: e, .. } => {
            final_attempt.then_some(e)
        }
    };
    if let Some(e) = cause {
        let reason = format!("{e:#}");
        if let Err(e) = run_blocking(&env.pool, move |c| requests::fail(c, id, &reason)).await {
            tracing::error!(request.id = %id, error = %e, "could not record the request's failure");
        }
    }
    error
}

/// `rgpd.export`: the archive of everything held about the subject, stored until its one download.
/// `final_attempt`: no retry follows a failure (the request is then marked failed).
pub async fn run_export(
    env: &RgpdEnv,
    id: RgpdRequestId,
    progress: &dyn ReportProgress,
    final_attempt: bool,
) -> Result<Value, JobError> {
    let request = start(env, id, RequestKind::Export).await?;
    match export_started(env, &request, progress).await {
        Ok(v) => Ok(v),
        Err(e) => Err(failed(env, id, e, final_attempt).await),
    }
}

async fn export_started(
    env: &RgpdEnv,
    request: &RgpdRequest,
    progress: &dyn ReportProgress,
) -> Result<Value, JobError> {
    let (id, kind, subject_id) = (request.id, request.subject_type, request.subject_id);
    progress.report(10, "collecting the subject's rows").await;
    let collected = run_blocking(&env.pool, move |c| export::collect(c, kind, subject_id))
        .await
        .map_err(|e| JobError::db(e, "collecting the export"))?
        .ok_or_else(|| JobError::permanent(anyhow!("the request's {kind} no longer exists")))?;
    progress.report(60, "building the archive").await;
    let bytes = tokio::task::spawn_blocking({
        let collected = collected.clone();
        move || export::archive(&collected)
    })
    .await
    .map_err(|e| JobError::transient(anyhow!("archive task failed: {e}")))?
    .map_err(|e| JobError::permanent(anyhow::Error::new(e)))?;
    let counts = json!(collected.counts());
    let size = bytes.len();
    let expires = Utc::now()
        + chrono::Duration::from_std(env.config.export_link_ttl)
            .unwrap_or(chrono::Duration::days(1));
    let file_name = format!(
        "rgpd-export-{kind}-{subject_id}-{}.zip",
        Utc::now().format("%Y%m%d")
    );
    let recorded = counts.clone();
    let mut log = NewAccessLog::by_job(Export::NAME, AccessAction::Export, kind.into(), subject_id);
    log.user_id = request.requested_by;
    run_blocking(&env.pool, move |c| {
        requests::store_export_file(c, id, &file_name, &bytes)?;
        access_log::insert_batch(c, &[log])?;
        requests::complete(c, id, &recorded, Some(expires))
    })
    .await
    .map_err(|e| JobError::db(e, "storing the export"))?;
    progress.report(100, "export ready").await;
    tracing::info!(request.id = %id, bytes = size, "RGPD export ready");
    Ok(json!({ "request_id": id, "rows": counts, "bytes": size, "link_expires_at": expires }))
}

/// `rgpd.erase`: forgets the subject (ledger first), then purges cached content naming them.
/// `final_attempt`: no retry follows a failure (the request is then marked failed).
pub async fn run_erase(
    env: &RgpdEnv,
    id: RgpdRequestId,
    progress: &dyn ReportProgress,
    final_attempt: bool,
) -> Result<Value, JobError> {
    let request = start(env, id, RequestKind::Erasure).await?;
    match erase_started(env, &request, progress).await {
        Ok(v) => Ok(v),
        Err(e) => Err(failed(env, id, e, final_attempt).await),
    }
}

async fn erase_started(
    env: &RgpdEnv,
    request: &RgpdRequest,
    progress: &dyn ReportProgress,
) -> Result<Value, JobError> {
    let (id, kind, subject_id) = (request.id, request.subject_type, request.subject_id);
    if kind == SubjectType::User {
        let subject = run_blocking(&env.pool, move |c| {
            user::find_user(c, shared::models::UserId(subject_id))
        })
        .await
        .map_err(|e| JobError::db(e, "reading the user to erase"))?;
        if subject.is_some_and(|u| u.role == Role::Admin) {
            return Err(JobError::permanent(anyhow!(
                "admin accounts are not erased: demote the account first"
            )));
        }
    }
    progress.report(10, "writing the erasure ledger").await;
    let cause = Cause {
        reason: ErasureReason::Request,
        request_id: Some(id.0),
        actor: request.requested_by,
        job: Erase::NAME,
    };
    let (forgotten, purged) =
        forget_and_purge(env, kind, vec![subject_id], cause, "erasing").await?;
    let counts =
        json!({ "rows": forgotten.rows, "cache": purged, "subjects": forgotten.subjects.len() });
    let recorded = counts.clone();
    run_blocking(&env.pool, move |c| {
        requests::complete(c, id, &recorded, None)
    })
    .await
    .map_err(|e| JobError::db(e, "completing the request"))?;
    progress.report(100, "erased").await;
    tracing::info!(request.id = %id, "RGPD erasure done");
    Ok(json!({ "request_id": id, "erased": counts }))
}
