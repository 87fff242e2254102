use actix_web::{HttpResponse, web};
use crm_autofill::review::{self, BulkItem, Decision};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::autofill_suggestion::{self as suggestions, SuggestionId, SuggestionStatus};

use super::{SuggestionFilter, reviewer};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Most suggestions decided by one bulk request.
pub const BULK_MAX: usize = 500;

/// A bulk decision: by ids, or by filter with the count the reviewer saw.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// `approve` or `reject`.
    pub action: String,
    /// The suggestions, at most 500.
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
    /// Every pending suggestion matching these filters (`status` is always `pending`).
    #[serde(default)]
    pub filter: Option<SuggestionFilter>,
    /// Required with `filter`: how many the reviewer was shown; refused (409 with the current count)
    /// when the selection changed since.
    #[serde(default)]
    pub expected_count: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub approved: usize,
    pub rejected: usize,
    pub failed: usize,
    /// One line per suggestion, in the order decided.
    pub items: Vec<BulkItem>,
}

/// Approves or rejects many pending suggestions at once; each is decided (and audited) on its own, so
/// one that fails never undoes the others.
#[utoipa::path(
    post,
    path = "/api/v1/autofill/suggestions/bulk",
    tag = "autofill",
    request_body = BulkRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided; see each item's outcome", body = BulkResponse),
        (status = 400, description = "Bad action, both or neither of ids and filter, too many ids, or `expected_count` missing", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 409, description = "`count_mismatch`: the filter selects another number of suggestions than `expected_count` (the message gives it)", body = crate::error::ErrorBody),
    )
)]
pub async fn bulk(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<BulkRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let decision = match body.action.as_str() {
        "approve" => Decision::Approve { value: None },
        "reject" => Decision::Reject,
        _ => {
            return Err(ApiError::invalid_field(
                "action",
                "action must be approve or reject",
            ));
        }
    };
    let who = reviewer(&user, &request_id);
    let ids: Vec<SuggestionId> = match (body.ids, body.filter) {
        (Some(ids), None) => {
            if ids.is_empty() || ids.len() > BULK_MAX {
                return Err(ApiError::invalid_field(
                    "ids",
                    format!("ids must hold 1 to {BULK_MAX} suggestions"),
                ));
            }
            let mut ids: Vec<SuggestionId> = ids.into_iter().map(SuggestionId).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        }
        (None, Some(filter)) => {
            if filter.limit.is_some() || filter.offset.is_some() {
                return Err(ApiError::invalid_field(
                    "filter",
                    "limit and offset do not apply to a bulk decision",
                ));
            }
            let expected = body.expected_count.ok_or_else(|| {
                ApiError::invalid_field(
                    "expected_count",
                    "a bulk decision by filter needs the count the reviewer saw",
                )
            })?;
            let mut f = filter.to_filter(&user)?;
            f.status = Some(SuggestionStatus::Pending);
            let (count, ids) = run_blocking(&state.pool, move |conn| {
                Ok((
                    suggestions::count(conn, &f)?,
                    suggestions::ids(conn, &f, BULK_MAX as i64 + 1)?,
                ))
            })
            .await?;
            if count != expected {
                return Err(ApiError::Conflict {
                    code: "count_mismatch",
                    message: format!(
                        "the filter selects {count} pending suggestions, not {expected}; review them again"
                    ),
                });
            }
            if ids.len() > BULK_MAX {
                return Err(ApiError::invalid_field(
                    "filter",
                    format!("the filter selects more than {BULK_MAX} suggestions; narrow it"),
                ));
            }
            ids
        }
        _ => {
            return Err(ApiError::bad_request(
                "validation_failed",
                "give either `ids` or `filter` (with `expected_count`)",
            ));
        }
    };
    let items = run_blocking(&state.pool, move |conn| {
        review::decide_many(conn, &ids, &decision, &who)
    })
    .await?;
    let count = |o: &str| items.iter().filter(|i| i.outcome == o).count();
    let response = BulkResponse {
        approved: count("approved"),
        rejected: count("rejected"),
        failed: count("failed"),
        items,
    };
    tracing::info!(
        approved = response.approved,
        rejected = response.rejected,
        failed = response.failed,
        "autofill bulk decision"
    );
    Ok(HttpResponse::Ok().json(response))
}
