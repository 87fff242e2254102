use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::campaign as model;
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Suppressed addresses by reason.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct SuppressionSummary {
    pub total: i64,
    /// Unsubscribed (link, one-click, mailto, provider).
    pub unsubscribed: i64,
    pub hard_bounce: i64,
    /// Repeated soft bounces (`CAMPAIGN_SOFT_BOUNCE_LIMIT`).
    pub soft_bounces: i64,
    /// Marked as spam.
    pub complaint: i64,
    /// Added by an admin.
    pub manual: i64,
}

/// How many addresses campaigns no longer mail, by reason (admins).
#[utoipa::path(
    get,
    path = "/api/v1/suppressions/summary",
    tag = "campaigns",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts by reason", body = SuppressionSummary),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn summary(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let counts = run_blocking(&state.pool, model::suppression_counts).await?;
    let mut s = SuppressionSummary::default();
    for (reason, n) in counts {
        s.total += n;
        match reason.as_str() {
            "unsubscribed" => s.unsubscribed = n,
            "hard_bounce" => s.hard_bounce = n,
            "soft_bounces" => s.soft_bounces = n,
            "complaint" => s.complaint = n,
            "manual" => s.manual = n,
            _ => {}
        }
    }
    Ok(HttpResponse::Ok().json(s))
}
