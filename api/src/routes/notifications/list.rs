use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::notification::{self, Notification};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, page_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only unread notifications.
    #[serde(default)]
    pub unread: bool,
    /// Notifications older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "notifications",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = [Notification]),
        (status = 400, description = "A parameter is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_limit(q.limit, 50, 200)?;
    let id = user.id;
    let rows = run_blocking(&state.pool, move |c| {
        notification::list_for(c, id, q.unread, q.before, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
