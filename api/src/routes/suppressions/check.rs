use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::campaign as model;
use shared::models::user::Role;

use super::AddressInput;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Whether campaigns mail an address.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuppressionCheck {
    pub suppressed: bool,
    /// Why, when suppressed: `unsubscribed`, `hard_bounce`, `soft_bounces`, `complaint` or `manual`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Says whether an address is on the suppression list, and why (admins). A POST so that the address
/// stays out of URLs and access logs.
#[utoipa::path(
    post,
    path = "/api/v1/suppressions/check",
    tag = "campaigns",
    request_body = AddressInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The answer", body = SuppressionCheck),
        (status = 400, description = "`address` is invalid", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn check(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<AddressInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let hash = super::hash_of(&state, &body.address)?;
    let reason = run_blocking(&state.pool, move |c| model::suppression_reason(c, &hash)).await?;
    Ok(HttpResponse::Ok().json(SuppressionCheck {
        suppressed: reason.is_some(),
        reason,
    }))
}
