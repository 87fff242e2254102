use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, WebhookDelivery, WebhookDeliveryId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, page_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Deliveries older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// An endpoint's deliveries, newest first (admins).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id"), DeliveryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deliveries, newest first", body = [WebhookDelivery]),
        (status = 400, description = "A parameter is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such endpoint", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let limit = page_limit(query.limit, 50, 200)?;
    let endpoint = super::endpoint(&state, id.into_inner()).await?;
    let before = query.before.map(WebhookDeliveryId);
    let rows = run_blocking(&state.pool, move |c| {
        wh::deliveries_of(c, endpoint.id, before, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
