use actix_web::{HttpRequest, HttpResponse, web};
use crm_autofill::review::Reviewer;
use shared::db::run_blocking;
use shared::models::autofill_suggestion::{self as suggestions, Suggestion, SuggestionId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// One suggestion with its evidence.
#[utoipa::path(
    get,
    path = "/api/v1/autofill/suggestions/{id}",
    tag = "autofill",
    params(("id" = i64, Path, description = "Suggestion id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The suggestion", body = Suggestion),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such suggestion, or another reviewer's", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = SuggestionId(id.into_inner());
    let reviewer = Reviewer::new(&user.principal(), None);
    let found = run_blocking(&state.pool, move |conn| suggestions::find(conn, id, false))
        .await?
        .filter(|s| reviewer.sees(s.owner_user_id))
        .ok_or_else(|| ApiError::not_found("no such suggestion"))?;
    crate::access_log::note_suggestion(&req, found.entity_type, found.entity_id);
    Ok(HttpResponse::Ok().json(found))
}
