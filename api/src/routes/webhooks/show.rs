use actix_web::{HttpResponse, web};
use shared::models::user::Role;
use shared::models::webhook::EndpointView;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// One webhook endpoint (admins), without its secret.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such endpoint", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let endpoint = super::endpoint(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(EndpointView::from(endpoint)))
}
