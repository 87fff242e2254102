use actix_web::{HttpRequest, HttpResponse, web};
use crm_autofill::review::{self, Decision, Reviewed};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::autofill_suggestion::SuggestionId;

use super::{review_error, reviewer};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// An approval, with the value edited when the reviewer changed it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The value to apply instead of the suggested one: a string for a field, an object for a creation
    /// (`first_name`, `last_name`, `email`, optional `title`, `phone`, `mobile`, `linkedin`,
    /// `organisation`) or a link (`organisation_id`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub value: Option<serde_json::Value>,
}

/// Approves a pending suggestion (body `{}`, or edit-then-approve with `{"value": …}`; a malformed body
/// is refused, never read as a plain approval): the change is applied, the value
/// becomes a person's (autofill never overwrites it), and the decision is audited with the value before
/// and after.
#[utoipa::path(
    post,
    path = "/api/v1/autofill/suggestions/{id}/approve",
    tag = "autofill",
    params(("id" = i64, Path, description = "Suggestion id")),
    request_body = ApproveRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Applied", body = Reviewed),
        (status = 400, description = "The edited value is not acceptable (`field`: `value`)", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such suggestion, or another reviewer's", body = crate::error::ErrorBody),
        (status = 409, description = "Already decided (`already_decided`), or the record changed since (`stale_suggestion`)", body = crate::error::ErrorBody),
    )
)]
pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
    body: JsonBody<ApproveRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = SuggestionId(id.into_inner());
    let value = body.into_inner().value;
    let who = reviewer(&user, &request_id);
    let decided = run_blocking(&state.pool, move |conn| {
        Ok(review::decide(conn, id, &Decision::Approve { value }, &who))
    })
    .await?
    .map_err(review_error)?;
    tracing::info!(suggestion.id = id.0, "autofill suggestion approved");
    crate::access_log::note_suggestion(&req, decided.entity_type, decided.entity_id);
    Ok(HttpResponse::Ok().json(decided))
}
