use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::interaction::InteractionId;
use shared::models::interaction_analysis as analyses;
use shared::models::user::Role;
use shared::permissions::{Access, Resource, access_to};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The stored analysis of an email (`intel.analyze_email`): intent, confidence, signature, entities,
/// keywords, analyser version and source. Only the owner of the mailbox the email came from, or an admin,
/// sees it; for anyone else the email does not exist (404), as with email accounts.
#[utoipa::path(
    get,
    path = "/api/v1/interactions/{id}/analysis",
    tag = "intelligence",
    params(("id" = i64, Path, description = "Interaction id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The analysis", body = Object),
        (status = 400, description = "Malformed id", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown email, another user's email, or not analysed yet", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Viewer)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid_field("id", "the interaction id must be an integer"))?;
    let principal = user.principal();
    let found = run_blocking(&state.pool, move |conn| {
        let resource = Resource::Interaction(InteractionId(id));
        if access_to(conn, &principal, resource)? == Access::Hidden {
            return Ok(None);
        }
        analyses::find(conn, InteractionId(id))
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no analysis for interaction {id}")))?;
    Ok(HttpResponse::Ok().json(found))
}
