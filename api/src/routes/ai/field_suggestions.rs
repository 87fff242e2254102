use actix_web::{HttpResponse, web};
use crm_autofill::form::{self, Scored};
use serde::Deserialize;
use shared::db::run_blocking;

use super::form_field;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, page_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FieldQuery {
    /// `title` (or `role`), `city`, `country`, `category`.
    pub field_name: String,
    /// 1 to 20 (default 5).
    pub limit: Option<usize>,
}

/// Suggestions for a form field: values in use, 60 % frequency + 40 % recency, +10 % per past accept of
/// the value by the caller (their team's when they have none), boost at most +50 %.
#[utoipa::path(
    get,
    path = "/api/v1/ai/autofill/suggestions",
    tag = "autofill",
    params(FieldQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Best first", body = [Scored]),
        (status = 400, description = "Unknown field or limit out of range; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn suggestions(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<FieldQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let field = form_field(&query.field_name)?;
    let limit = page_limit(query.limit, 5, 20)?;
    let (id, team) = (user.id, user.team_id);
    let list = run_blocking(&state.pool, move |conn| {
        form::suggestions(conn, field, id, team, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}
