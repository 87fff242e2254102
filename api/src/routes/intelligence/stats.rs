use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::interaction_analysis::{self as analyses, Bucket, Stats};
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, Timestamp};
use crate::state::AppState;

/// Longest range one request may cover.
const MAX_RANGE_DAYS: i64 = 366;
/// Most volume buckets one request may ask for.
const MAX_BUCKETS: i64 = 24 * 92;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Start (RFC 3339, inclusive, years 1970 to 9999); default `to` minus 7 days.
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<Timestamp>,
    /// End (RFC 3339, exclusive, years 1970 to 9999); default now.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<Timestamp>,
    /// Width of the volume buckets: `hour` or `day` (default).
    #[param(value_type = Option<String>)]
    pub bucket: Option<Bucket>,
}

/// Statistics of the analyses made in `[from, to)`, in total and per source (`rules` or
/// `provider:model`): signature extraction success rate, intent distribution, volume per bucket,
/// average and p95 analysis time, and the LLM cache hit rate. The cache figures are those recorded with
/// each analysis by `intel.analyze_email` (the `cache` column), so they follow the range asked for.
#[utoipa::path(
    get,
    path = "/api/v1/intelligence/stats",
    tag = "intelligence",
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The statistics", body = Stats),
        (status = 400, description = "Invalid range, date (years 1970 to 9999) or bucket; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn stats(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Viewer)?;
    let q = query.into_inner();
    let to = q.to.unwrap_or_else(Timestamp::now);
    let from = q.from.unwrap_or(to.saturating_sub(Duration::days(7)));
    let bucket = q.bucket.unwrap_or(Bucket::Day);
    if from >= to {
        return Err(ApiError::invalid_field(
            "from",
            "`from` must be before `to`",
        ));
    }
    let (from, to) = (from.get(), to.get());
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::invalid_field(
            "from",
            format!("the range is limited to {MAX_RANGE_DAYS} days"),
        ));
    }
    if bucket == Bucket::Hour && to - from > Duration::hours(MAX_BUCKETS) {
        return Err(ApiError::invalid_field(
            "bucket",
            format!("hourly buckets are limited to {MAX_BUCKETS} hours; use `day`"),
        ));
    }
    let stats = run_blocking(&state.pool, move |conn| {
        analyses::stats(conn, from, to, bucket)
    })
    .await?;
    Ok(HttpResponse::Ok().json(stats))
}
