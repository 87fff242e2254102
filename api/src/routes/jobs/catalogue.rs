use actix_web::HttpResponse;
use serde::Serialize;
use shared::jobs::catalogue;

use crate::auth::AuthUser;

/// A catalogue entry as listed to a caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogueEntry {
    pub name: &'static str,
    pub queue: &'static str,
    pub description: &'static str,
    pub max_attempts: u32,
    /// Limit of one attempt, in seconds.
    pub timeout_secs: u64,
    /// Lowest role allowed to run the job now.
    pub run_role: &'static str,
    /// Whether the caller may run it now.
    pub may_run: bool,
}

/// Every job the platform knows.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/catalogue",
    tag = "jobs",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The catalogue", body = Vec<CatalogueEntry>),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn catalogue(user: AuthUser) -> HttpResponse {
    let entries: Vec<CatalogueEntry> = catalogue::all()
        .iter()
        .map(|spec| CatalogueEntry {
            name: spec.name,
            queue: spec.queue.as_str(),
            description: spec.description,
            max_attempts: spec.policy.max_attempts,
            timeout_secs: spec.policy.timeout.as_secs(),
            run_role: spec.run_role.as_str(),
            may_run: user.role.at_least(spec.run_role),
        })
        .collect();
    HttpResponse::Ok().json(entries)
}
