use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::segment::{self as model, Segment, SegmentId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, page_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Segments older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// Segments, newest first (every signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/segments",
    tag = "campaigns",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = [Segment]),
        (status = 400, description = "A parameter is invalid; `field` names it", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = page_limit(query.limit, 50, 200)?;
    let before = query.before.map(SegmentId);
    let rows = run_blocking(&state.pool, move |c| model::list(c, before, limit)).await?;
    Ok(HttpResponse::Ok().json(rows))
}
