use actix_web::{HttpRequest, HttpResponse, web};
use crm_autofill::review::{self, Decision, Reviewed};
use shared::db::run_blocking;
use shared::models::autofill_suggestion::SuggestionId;

use super::{review_error, reviewer};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Rejects a pending suggestion (audited); the same proposal is not made again from the same evidence.
#[utoipa::path(
    post,
    path = "/api/v1/autofill/suggestions/{id}/reject",
    tag = "autofill",
    params(("id" = i64, Path, description = "Suggestion id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = Reviewed),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such suggestion, or another reviewer's", body = crate::error::ErrorBody),
        (status = 409, description = "Already decided", body = crate::error::ErrorBody),
    )
)]
pub async fn reject(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = SuggestionId(id.into_inner());
    let who = reviewer(&user, &request_id);
    let decided = run_blocking(&state.pool, move |conn| {
        Ok(review::decide(conn, id, &Decision::Reject, &who))
    })
    .await?
    .map_err(review_error)?;
    tracing::info!(suggestion.id = id.0, "autofill suggestion rejected");
    crate::access_log::note_suggestion(&req, decided.entity_type, decided.entity_id);
    Ok(HttpResponse::Ok().json(decided))
}
