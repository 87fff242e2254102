use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::event::{self, Event};
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// One event (admins): what a message too large to send (over 20 kB) refers to with `data.url`. Kept for
/// `WEBHOOK_LOG_RETENTION_DAYS`.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/events/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such event (or purged)", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let found = run_blocking(&state.pool, move |c| event::find(c, id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("event {id} not found")))?;
    Ok(HttpResponse::Ok().json(found))
}
