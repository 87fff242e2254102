use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Date, Float, Integer, Nullable, Text};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccuracyQuery {
    /// Days back from today, 1 to 366 (default 30).
    pub days: Option<i64>,
}

/// One day's figures for a field and source (`ai.accuracy_metrics`).
#[derive(Debug, Serialize, QueryableByName, utoipa::ToSchema)]
pub struct AccuracyRow {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub field: String,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Integer)]
    pub approved: i32,
    #[diesel(sql_type = Integer)]
    pub edited: i32,
    #[diesel(sql_type = Integer)]
    pub rejected: i32,
    #[diesel(sql_type = Integer)]
    pub auto_applied: i32,
    /// Approved unchanged / (approved + rejected).
    #[diesel(sql_type = Nullable<Float>)]
    pub precision: Option<f32>,
}

/// Per-field precision of autofill by day (managers and admins).
#[utoipa::path(
    get,
    path = "/api/v1/autofill/accuracy",
    tag = "autofill",
    params(AccuracyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest day first", body = [AccuracyRow]),
        (status = 400, description = "`days` out of range", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Below the manager role", body = crate::error::ErrorBody),
    )
)]
pub async fn accuracy(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<AccuracyQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let days = query.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::invalid_field(
            "days",
            "days must be between 1 and 366",
        ));
    }
    let since = chrono::Utc::now().date_naive() - chrono::Duration::days(days);
    let rows: Vec<AccuracyRow> = run_blocking(&state.pool, move |conn| {
        Ok(diesel::sql_query(
            "SELECT day, field, source, approved, edited, rejected, auto_applied, precision \
             FROM ai_accuracy_metrics WHERE day >= $1 ORDER BY day DESC, field, source",
        )
        .bind::<Date, _>(since)
        .load(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
