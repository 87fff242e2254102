use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, EndpointView};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Every webhook endpoint (admins), without secrets.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Endpoints by id", body = [EndpointView]),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let all = run_blocking(&state.pool, wh::list).await?;
    let views: Vec<EndpointView> = all.into_iter().map(EndpointView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}
