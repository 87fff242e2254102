use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::routing_rule::{self as rules, RoutingRule};
use shared::models::user::Role;

use super::RuleInput;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Creates a routing rule (admins); audited.
#[utoipa::path(
    post,
    path = "/api/v1/routing-rules",
    tag = "routing",
    request_body = RuleInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = RoutingRule),
        (status = 400, description = "A field is invalid or names nothing that exists; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<RuleInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let input = body.into_inner();
    let created = run_blocking(&state.pool, move |conn| {
        Ok(input.validate(conn).map(|new| rules::create(conn, &new)))
    })
    .await??
    .map_err(ApiError::from)?;
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "routing_rule.create",
            target_type: "routing_rule",
            target_id: created.id.to_string(),
            details: serde_json::to_value(&created).unwrap_or_default(),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Created().json(created))
}
