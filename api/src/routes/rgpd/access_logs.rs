use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::UserId;
use shared::models::access_log::{self, AccessAction, AccessLogEntry, AccessLogFilter, EntityType};
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccessLogQuery {
    /// Who acted.
    pub user_id: Option<i64>,
    /// `person`, `organisation`, `interaction`, `user` or `mailbox`.
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    /// `read`, `export`, `update`, `delete` or `anonymise`.
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The next page: entries with an id below this (`next_before_id` of the previous page).
    pub before_id: Option<i64>,
    /// 1 to 1000, default 100.
    pub limit: Option<i64>,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessLogPage {
    pub entries: Vec<AccessLogEntry>,
    /// Pass as `before_id` for the next page; absent on the last page.
    pub next_before_id: Option<i64>,
}

pub(crate) fn parse_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(100);
    if (1..=1_000).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid_field("limit", "limit is 1 to 1000"))
    }
}

pub(crate) fn page(entries: Vec<AccessLogEntry>, limit: i64) -> AccessLogPage {
    let next_before_id = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    AccessLogPage {
        entries,
        next_before_id,
    }
}

/// The data access log (admins): who read, exported, changed, deleted or anonymised which person,
/// organisation, email, user or mailbox, when, from which (hashed) IP. Ids only.
#[utoipa::path(
    get,
    path = "/api/v1/rgpd/access-logs",
    tag = "rgpd",
    params(AccessLogQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Entries, newest first", body = AccessLogPage),
        (status = 400, description = "A bad filter; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn access_logs(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<AccessLogQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let q = query.into_inner();
    let limit = parse_limit(q.limit)?;
    let filter = AccessLogFilter {
        user_id: q.user_id.map(UserId),
        entity_type: q
            .entity_type
            .as_deref()
            .map(str::parse::<EntityType>)
            .transpose()
            .map_err(|e| ApiError::invalid_field("entity_type", e.to_string()))?,
        entity_id: q.entity_id,
        action: q
            .action
            .as_deref()
            .map(str::parse::<AccessAction>)
            .transpose()
            .map_err(|e| ApiError::invalid_field("action", e.to_string()))?,
        since: q.since,
        until: q.until,
        before_id: q.before_id,
        about_or_by_user: None,
    };
    let entries = run_blocking(&state.pool, move |c| access_log::list(c, &filter, limit)).await?;
    Ok(HttpResponse::Ok().json(page(entries, limit)))
}
