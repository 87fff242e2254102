use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::routing_rule::{self as rules, RoutingRule, RoutingRuleId};
use shared::models::user::Role;

use super::RuleInput;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Replaces a routing rule (admins); audited with the rule before and after. Emails keep their current
/// assignment until they are analysed again.
#[utoipa::path(
    put,
    path = "/api/v1/routing-rules/{id}",
    tag = "routing",
    params(("id" = i64, Path, description = "Rule id")),
    request_body = RuleInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = RoutingRule),
        (status = 400, description = "A field is invalid or names nothing that exists; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such rule", body = crate::error::ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
    body: JsonBody<RuleInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = RoutingRuleId(id.into_inner());
    let input = body.into_inner();
    let (before, after) = run_blocking(&state.pool, move |conn| {
        let Some(before) = rules::find(conn, id)? else {
            return Ok(Err(ApiError::not_found(format!(
                "routing rule {id} not found"
            ))));
        };
        let new = match input.validate(conn) {
            Ok(new) => new,
            Err(e) => return Ok(Err(e)),
        };
        let after = rules::replace(conn, id, &new)?;
        Ok(after
            .map(|a| (before, a))
            .ok_or_else(|| ApiError::not_found(format!("routing rule {id} not found"))))
    })
    .await??;
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "routing_rule.update",
            target_type: "routing_rule",
            target_id: id.to_string(),
            details: serde_json::json!({ "before": before, "after": after }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Ok().json(after))
}
