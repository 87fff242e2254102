use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::rgpd_request as requests;

use super::subject::RequestView;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// At most this many, newest first (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// Requests newest first: every one for admins (the register of data subjects' requests), the caller's
/// own (made by or about them) for others.
#[utoipa::path(
    get,
    path = "/api/v1/rgpd/requests",
    tag = "rgpd",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Requests", body = [RequestView]),
        (status = 400, description = "Bad limit", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.into_inner().limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "limit is 1 to 500"));
    }
    let of_user = (!user.principal().is_admin()).then_some(user.id);
    let rows = run_blocking(&state.pool, move |c| requests::list(c, of_user, limit)).await?;
    let views: Vec<RequestView> = rows
        .iter()
        .map(|r| RequestView::of(&state, r, user.id))
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
