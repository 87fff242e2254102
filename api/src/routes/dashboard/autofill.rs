//! The dashboard's Autofill view: suggestion counts by status, the review queue (decide one at a time),
//! and autofill's per-field precision. Decisions go through `crm_autofill::review`, as the API's do, and
//! are audited there.

use actix_web::{HttpRequest, HttpResponse, web};
use crm_autofill::review::{self, Decision, Reviewer};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::autofill_suggestion::{
    self as suggestions, Filter, Suggestion, SuggestionId, SuggestionStatus,
};
use shared::models::user::Role;

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::routes::autofill::review_error;
use crate::state::AppState;

#[derive(Serialize, QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(Serialize, QueryableByName)]
struct FieldPrecision {
    #[diesel(sql_type = Text)]
    field: String,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = BigInt)]
    approved: i64,
    #[diesel(sql_type = BigInt)]
    edited: i64,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
    #[diesel(sql_type = BigInt)]
    auto_applied: i64,
}

#[derive(Serialize)]
struct Overview {
    counts: Vec<StatusCount>,
    /// The 50 surest pending suggestions the user may review.
    pending: Vec<Suggestion>,
    /// Last 30 days, summed per field and source (managers and admins).
    accuracy: Vec<FieldPrecision>,
    can_decide: bool,
}

/// `GET /api/v1/dashboard/autofill`.
pub async fn overview(
    state: web::Data<AppState>,
    user: DashUser,
) -> Result<HttpResponse, ApiError> {
    let owners = review::visible_owners(&user.principal());
    let manager = user.role.at_least(Role::Manager);
    let overview = run_blocking(&state.pool, move |conn| {
        let owner_ids: Option<Vec<i64>> = owners.as_ref().map(|o| o.iter().map(|u| u.0).collect());
        let counts: Vec<StatusCount> = diesel::sql_query(
            "SELECT status, count(*) AS count FROM autofill_suggestions \
             WHERE $1::bigint[] IS NULL OR owner_user_id = ANY($1) GROUP BY status ORDER BY status",
        )
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Array<BigInt>>, _>(owner_ids)
        .load(conn)?;
        let filter = Filter {
            status: Some(SuggestionStatus::Pending),
            visible_owners: owners,
            ..Filter::default()
        };
        let pending = suggestions::list(conn, &filter, 50, 0)?;
        let accuracy = if manager {
            diesel::sql_query(
                "SELECT field, source, sum(approved)::bigint AS approved, sum(edited)::bigint AS edited, \
                 sum(rejected)::bigint AS rejected, sum(auto_applied)::bigint AS auto_applied \
                 FROM ai_accuracy_metrics WHERE day >= current_date - 30 GROUP BY field, source ORDER BY field, source",
            )
            .load(conn)?
        } else {
            Vec::new()
        };
        Ok(Overview {
            counts,
            pending,
            accuracy,
            can_decide: false,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Overview {
        can_decide: user.principal().may_write(),
        ..overview
    }))
}

async fn decide(
    req: &HttpRequest,
    state: &AppState,
    user: &DashUser,
    request_id: &RequestId,
    id: i64,
    decision: Decision,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::User)?;
    let reviewer = Reviewer::new(&user.principal(), Some(request_id.0.clone()));
    let id = SuggestionId(id);
    let decided = run_blocking(&state.pool, move |conn| {
        Ok(review::decide(conn, id, &decision, &reviewer))
    })
    .await?
    .map_err(review_error)?;
    tracing::info!(suggestion.id = id.0, "dashboard autofill decision");
    crate::access_log::note_suggestion(req, decided.entity_type, decided.entity_id);
    Ok(HttpResponse::Ok().json(decided))
}

/// `POST /api/v1/dashboard/autofill/{id}/approve`.
pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    decide(
        &req,
        &state,
        &user,
        &request_id,
        id.into_inner(),
        Decision::Approve { value: None },
    )
    .await
}

/// `POST /api/v1/dashboard/autofill/{id}/reject`.
pub async fn reject(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    decide(
        &req,
        &state,
        &user,
        &request_id,
        id.into_inner(),
        Decision::Reject,
    )
    .await
}
