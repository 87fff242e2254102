use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::ai_preference::{self, NewPreference, PreferenceAction};

use super::form_field;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// A choice in a field's suggestion menu.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackRequest {
    /// `title` (or `role`), `city`, `country`, `category`.
    pub field_name: String,
    /// `accept`, `reject`, `manual` (typed their own), `ignore` (closed the menu).
    pub action: String,
    #[serde(default)]
    pub suggested_value: Option<String>,
    #[serde(default)]
    pub final_value: Option<String>,
    /// 1 to 50.
    #[serde(default)]
    pub suggestion_rank: Option<i32>,
    /// 0 to 1.
    #[serde(default)]
    pub suggestion_confidence: Option<f32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tracked {
    pub id: i64,
}

fn value(field: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 500 || s.chars().any(char::is_control) => {
            Err(ApiError::invalid_field(
                field,
                format!("{field}: at most 500 characters, no control characters"),
            ))
        }
        other => Ok(other),
    }
}

/// Records the caller's choice (kept 90 days; `DELETE /api/v1/ai/learning/preferences` forgets them all).
#[utoipa::path(
    post,
    path = "/api/v1/ai/learning/track",
    tag = "autofill",
    request_body = TrackRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = Tracked),
        (status = 400, description = "A field is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
    )
)]
pub async fn track(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<TrackRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let field = form_field(&req.field_name)?;
    let action: PreferenceAction = req.action.parse().map_err(|_| {
        ApiError::invalid_field("action", "action must be accept, reject, manual or ignore")
    })?;
    if req.suggestion_rank.is_some_and(|r| !(1..=50).contains(&r)) {
        return Err(ApiError::invalid_field(
            "suggestion_rank",
            "suggestion_rank must be 1 to 50",
        ));
    }
    if req
        .suggestion_confidence
        .is_some_and(|c| !(0.0..=1.0).contains(&c))
    {
        return Err(ApiError::invalid_field(
            "suggestion_confidence",
            "suggestion_confidence must be between 0 and 1",
        ));
    }
    let suggested_value = value("suggested_value", req.suggested_value)?;
    let final_value = value("final_value", req.final_value)?;
    if action == PreferenceAction::Accept && final_value.is_none() {
        return Err(ApiError::invalid_field(
            "final_value",
            "an accept needs the value accepted",
        ));
    }
    let new = NewPreference {
        user_id: user.id,
        team_id: user.team_id,
        field_name: field.name().to_owned(),
        action,
        suggested_value,
        final_value,
        suggestion_rank: req.suggestion_rank,
        suggestion_confidence: req.suggestion_confidence,
    };
    let id = run_blocking(&state.pool, move |conn| ai_preference::record(conn, &new)).await?;
    Ok(HttpResponse::Created().json(Tracked { id }))
}
