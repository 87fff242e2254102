use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::notification;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// One kind's channel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceInput {
    pub kind: String,
    /// `in_app`, `email` (in-app and the email digest) or `off`.
    pub channel: String,
}

/// Sets the caller's channel for the kinds listed (the others stay). Critical kinds cannot be `off`.
/// Nothing is written when an entry is refused.
#[utoipa::path(
    put,
    path = "/api/v1/notifications/preferences",
    tag = "notifications",
    request_body = Vec<PreferenceInput>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every kind's channel after the change", body = [notification::Preference]),
        (status = 400, description = "Unknown kind or channel, or a critical kind turned off; `field` names the entry", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn set_preferences(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<Vec<PreferenceInput>>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    if input.len() > notification::KINDS.len() * 2 {
        return Err(ApiError::invalid_field(
            "body",
            "at most one entry per kind",
        ));
    }
    let mut changes = Vec::with_capacity(input.len());
    for (i, p) in input.iter().enumerate() {
        let field = |f: &str| format!("[{i}].{f}");
        let Some(kind) = notification::kind(&p.kind) else {
            let known: Vec<&str> = notification::KINDS.iter().map(|k| k.name).collect();
            return Err(ApiError::invalid_field(
                field("kind"),
                format!("unknown kind (known: {})", known.join(", ")),
            ));
        };
        if !matches!(p.channel.as_str(), "in_app" | "email" | "off") {
            return Err(ApiError::invalid_field(
                field("channel"),
                "channel must be in_app, email or off",
            ));
        }
        if kind.critical && p.channel == "off" {
            return Err(ApiError::invalid_field(
                field("channel"),
                format!("{} is critical and cannot be turned off", kind.name),
            ));
        }
        changes.push((kind.name, p.channel.clone()));
    }
    let id = user.id;
    let prefs = run_blocking(&state.pool, move |c| {
        use diesel::Connection;
        c.transaction(|c| {
            for (kind, channel) in &changes {
                notification::set_preference(c, id, kind, channel)?;
            }
            notification::preferences(c, id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(prefs))
}
