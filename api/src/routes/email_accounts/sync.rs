use actix_web::{HttpResponse, web};
use crm_queue::EnqueueOptions;
use shared::jobs::payloads::mail::SyncAccount;

use super::visible_account;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::routes::jobs::create::{RunJobResponse, accepted};
use crate::routes::jobs::enqueue_error;
use crate::state::AppState;

/// Syncs an account now (owner or admin): enqueues `mail.sync_account` and returns the job id.
#[utoipa::path(
    post,
    path = "/api/v1/email-accounts/{id}/sync",
    tag = "email-accounts",
    params(("id" = i64, Path, description = "Email account id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Enqueued; follow the job at `/api/v1/jobs/{job_id}`", body = RunJobResponse),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such account, or another user's", body = crate::error::ErrorBody),
    )
)]
pub async fn sync(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let account = visible_account(&state, &user, id.into_inner()).await?;
    let job = SyncAccount {
        account_id: account.id,
    };
    let opts = EnqueueOptions {
        request_id: Some(request_id.0.clone()),
        actor: shared::permissions::Actor::User(user.id),
        ..EnqueueOptions::default()
    };
    let enqueued = state
        .queue
        .enqueue(&job, opts)
        .await
        .map_err(|e| enqueue_error("mail.sync_account", e))?;
    tracing::info!(account.id = account.id.0, job.id = %enqueued.job_id, "email account sync requested");
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "email_account.sync",
            target_type: "email_account",
            target_id: account.id.to_string(),
            details: serde_json::json!({ "job_id": enqueued.job_id.to_string() }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(accepted(&enqueued))
}
