use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use shared::models::campaign::{Campaign, CampaignId, Change};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{JsonBody, Timestamp};
use crate::middleware::RequestId;
use crate::state::AppState;

/// Furthest a launch may be scheduled ahead.
const MAX_AHEAD: TimeDelta = TimeDelta::days(365);

/// When to launch.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// RFC 3339, at most a year ahead; absent or past: now (the next minute's tick).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
}

/// True when the request carries a body (a client may schedule "now" with an empty POST).
fn has_body(req: &HttpRequest) -> bool {
    req.headers().contains_key(CONTENT_TYPE)
        || req.headers().contains_key(TRANSFER_ENCODING)
        || req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// Schedules a draft campaign (its owner, managers and admins); audited. The workers' minute tick
/// (`campaigns.tick`) launches it when due: the segment's audience is enrolled then, and step 1 goes out.
/// Refused (409, `not_configured`) while `API_PUBLIC_URL` is not set: a campaign without a working
/// unsubscribe link is never sent.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/schedule",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    request_body(content = Option<ScheduleInput>, description = "Optional: an empty body launches at the next tick"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Scheduled", body = Campaign),
        (status = 400, description = "`at` is invalid or more than a year ahead", body = crate::error::ErrorBody),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
        (status = 409, description = "Not a draft (`campaign_state`; the message names the status), or `API_PUBLIC_URL` is not set (`not_configured`)", body = crate::error::ErrorBody),
    )
)]
pub async fn schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let input = if has_body(&req) {
        JsonBody::<ScheduleInput>::from_request(&req, &mut payload.into_inner())
            .await?
            .into_inner()
    } else {
        ScheduleInput::default()
    };
    let now = Utc::now();
    let at = input.at.map_or(now, Timestamp::get).max(now);
    if at > now + MAX_AHEAD {
        return Err(ApiError::invalid_field(
            "at",
            "at must be at most a year ahead",
        ));
    }
    let id = CampaignId(id.into_inner());
    if state.config.common.campaigns.public_url.is_none() {
        super::writable(&state, &user, id).await?;
        return Err(ApiError::Conflict {
            code: "not_configured",
            message: "API_PUBLIC_URL is not set: campaign mail would have no working unsubscribe \
                      link, so no campaign is scheduled"
                .into(),
        });
    }
    super::apply(&state, &user, &request_id, id, Change::Schedule(at)).await
}
