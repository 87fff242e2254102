use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::routing_rule::{self as rules, RoutingRule, RoutingRuleId};
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// One routing rule (admins).
#[utoipa::path(
    get,
    path = "/api/v1/routing-rules/{id}",
    tag = "routing",
    params(("id" = i64, Path, description = "Rule id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rule", body = RoutingRule),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such rule", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = RoutingRuleId(id.into_inner());
    let rule = run_blocking(&state.pool, move |conn| rules::find(conn, id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("routing rule {id} not found")))?;
    Ok(HttpResponse::Ok().json(rule))
}
