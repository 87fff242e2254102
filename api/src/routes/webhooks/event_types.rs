use actix_web::HttpResponse;
use shared::events::EventType;
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;

/// The event types, and which endpoints may subscribe to (admins).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/event-types",
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every event type", body = [EventType]),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn event_types(user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    Ok(HttpResponse::Ok().json(shared::events::ALL))
}
