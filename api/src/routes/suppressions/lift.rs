use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign as model;
use shared::models::user::Role;

use super::AddressInput;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Lifts the suppression of an address, whatever its reason (admins): campaigns may mail it again.
/// Audited without the address. Lift an unsubscription only at the person's own request.
#[utoipa::path(
    delete,
    path = "/api/v1/suppressions",
    tag = "campaigns",
    request_body = AddressInput,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Lifted"),
        (status = 400, description = "`address` is invalid", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "The address is not suppressed", body = crate::error::ErrorBody),
    )
)]
pub async fn lift(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<AddressInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let hash = super::hash_of(&state, &body.address)?;
    let h = hash.clone();
    if !run_blocking(&state.pool, move |c| model::lift_suppression(c, &h)).await? {
        return Err(ApiError::not_found("the address is not suppressed"));
    }
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "suppression.lift",
            target_type: "email_suppression",
            target_id: hash,
            details: serde_json::json!({}),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
