use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::rgpd_report;
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A compliance report as `html` or `pdf` (admins).
#[utoipa::path(
    get,
    path = "/api/v1/rgpd/reports/{id}/{format}",
    tag = "rgpd",
    params(
        ("id" = i64, Path, description = "Report id"),
        ("format" = String, Path, description = "`html` or `pdf`"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document (`text/html` or `application/pdf`)"),
        (status = 400, description = "Unknown format", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such report", body = crate::error::ErrorBody),
    )
)]
pub async fn document(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let (id, format) = path.into_inner();
    let not_found = || ApiError::not_found(format!("report {id} not found"));
    match format.as_str() {
        "html" => {
            let html = run_blocking(&state.pool, move |c| rgpd_report::html(c, id))
                .await?
                .ok_or_else(not_found)?;
            Ok(HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
                .insert_header((
                    "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'",
                ))
                .body(html))
        }
        "pdf" => {
            let pdf = run_blocking(&state.pool, move |c| rgpd_report::pdf(c, id))
                .await?
                .ok_or_else(not_found)?;
            Ok(HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, "application/pdf"))
                .insert_header((
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"rgpd-report-{id}.pdf\""),
                ))
                .body(pdf))
        }
        _ => Err(ApiError::invalid_field(
            "format",
            "format is `html` or `pdf`",
        )),
    }
}
