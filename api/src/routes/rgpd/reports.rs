use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::rgpd_report::{self, ReportSummary};
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The monthly compliance reports (admins), newest period first, with their figures; each downloads as
/// HTML or PDF from `/api/v1/rgpd/reports/{id}/html` and `/pdf`.
#[utoipa::path(
    get,
    path = "/api/v1/rgpd/reports",
    tag = "rgpd",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reports", body = [ReportSummary]),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn reports(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let rows = run_blocking(&state.pool, |c| rgpd_report::list(c, 120)).await?;
    Ok(HttpResponse::Ok().json(rows))
}
