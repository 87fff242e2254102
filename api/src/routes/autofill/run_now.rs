use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::routes::jobs::create::{RunJobResponse, run_named};
use crate::state::AppState;

/// Options of a run-now autofill batch.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutofillRunRequest {
    /// Emails to read, 1 to 10,000 (default `AUTOFILL_BATCH_MAX`, 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only the emails of this mailbox.
    #[serde(default)]
    pub account_id: Option<i64>,
}

/// Runs an autofill batch now (managers and admins): enqueues `intel.autofill_batch`; its progress and
/// counts are at `/api/v1/jobs/{job_id}`.
#[utoipa::path(
    post,
    path = "/api/v1/autofill-jobs/run-now",
    tag = "autofill",
    request_body = AutofillRunRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Enqueued", body = RunJobResponse),
        (status = 400, description = "`limit` out of range, or unknown field; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Below the manager role", body = crate::error::ErrorBody),
        (status = 404, description = "A mailbox the caller may not see", body = crate::error::ErrorBody),
    )
)]
pub async fn run_now(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<AutofillRunRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut payload = serde_json::Map::new();
    if let Some(limit) = body.limit {
        payload.insert("limit".into(), limit.into());
    }
    if let Some(account) = body.account_id {
        payload.insert("account_id".into(), account.into());
    }
    run_named(
        &state,
        &user,
        &request_id,
        "intel.autofill_batch",
        payload.into(),
    )
    .await
}
