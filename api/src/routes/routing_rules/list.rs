use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::routing_rule::{self as rules, RoutingRule};
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Every routing rule, in evaluation order (admins).
#[utoipa::path(
    get,
    path = "/api/v1/routing-rules",
    tag = "routing",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rules by priority, then id", body = [RoutingRule]),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let all = run_blocking(&state.pool, rules::list).await?;
    Ok(HttpResponse::Ok().json(all))
}
