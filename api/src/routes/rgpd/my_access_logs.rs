use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::access_log::{self, AccessLogFilter};

use super::access_logs::{AccessLogPage, page, parse_limit};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MyAccessLogQuery {
    /// The next page: entries with an id below this.
    pub before_id: Option<i64>,
    /// 1 to 1000, default 100.
    pub limit: Option<i64>,
}

/// The caller's own access log: accesses to their account's data, and the accesses they made.
#[utoipa::path(
    get,
    path = "/api/v1/rgpd/my-access-logs",
    tag = "rgpd",
    params(MyAccessLogQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Entries, newest first", body = AccessLogPage),
        (status = 400, description = "Bad limit", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn my_access_logs(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<MyAccessLogQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = parse_limit(q.limit)?;
    let filter = AccessLogFilter {
        before_id: q.before_id,
        about_or_by_user: Some(user.id),
        ..AccessLogFilter::default()
    };
    let entries = run_blocking(&state.pool, move |c| access_log::list(c, &filter, limit)).await?;
    Ok(HttpResponse::Ok().json(page(entries, limit)))
}
