use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::autofill_suggestion::{self as suggestions, Suggestion};

use super::SuggestionFilter;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, page_limit};
use crate::state::AppState;

/// A page of suggestions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionPage {
    /// How many match the filters.
    pub total: i64,
    /// Highest confidence first.
    pub items: Vec<Suggestion>,
}

/// Suggestions to review (or already decided), filtered and sorted by confidence.
#[utoipa::path(
    get,
    path = "/api/v1/autofill/suggestions",
    tag = "autofill",
    params(SuggestionFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of suggestions", body = SuggestionPage),
        (status = 400, description = "A filter out of range; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A non-admin filtering by another reviewer", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<SuggestionFilter>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = query.to_filter(&user)?;
    let limit = page_limit(query.limit, 50, 200)?;
    let offset = query.offset.unwrap_or(0);
    if !(0..=100_000).contains(&offset) {
        return Err(ApiError::invalid_field(
            "offset",
            "offset must be between 0 and 100000",
        ));
    }
    let (total, items) = run_blocking(&state.pool, move |conn| {
        Ok((
            suggestions::count(conn, &filter)?,
            suggestions::list(conn, &filter, limit, offset)?,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(SuggestionPage { total, items }))
}
