use actix_web::{HttpResponse, web};
use crm_queue::JobRecord;
use serde::{Deserialize, Serialize};
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::page_limit;
use crate::state::AppState;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadQuery {
    /// Number of jobs to skip (newest first).
    pub offset: Option<usize>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadPage {
    /// Dead jobs in total.
    pub total: u64,
    pub offset: usize,
    pub limit: usize,
    /// Newest death first.
    pub jobs: Vec<JobRecord>,
}

/// Jobs in the dead-letter set, newest first (admin).
#[utoipa::path(
    get,
    path = "/api/v1/jobs/dead",
    tag = "jobs",
    params(DeadQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of dead jobs", body = DeadPage),
        (status = 400, description = "Bad paging parameters", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn list_dead(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DeadQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let offset = query.offset.unwrap_or(0);
    let limit = page_limit(query.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let (total, jobs) = state.queue.dead(offset, limit).await?;
    Ok(HttpResponse::Ok().json(DeadPage {
        total,
        offset,
        limit,
        jobs,
    }))
}
