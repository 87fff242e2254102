use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::routing_rule::{self as rules, RoutingRuleId};
use shared::models::user::Role;

use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Deletes a routing rule (admins); emails it assigned keep their owner. Audited with the rule.
#[utoipa::path(
    delete,
    path = "/api/v1/routing-rules/{id}",
    tag = "routing",
    params(("id" = i64, Path, description = "Rule id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such rule", body = crate::error::ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = RoutingRuleId(id.into_inner());
    let rule = run_blocking(&state.pool, move |conn| {
        let rule = rules::find(conn, id)?;
        if rule.is_some() {
            rules::delete(conn, id)?;
        }
        Ok(rule)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("routing rule {id} not found")))?;
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "routing_rule.delete",
            target_type: "routing_rule",
            target_id: id.to_string(),
            details: serde_json::to_value(&rule).unwrap_or_default(),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
