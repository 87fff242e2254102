use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::models::user::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// A text or a message to analyse: exactly one of `text` and `raw`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// An email body, or only its ending.
    #[serde(default)]
    pub text: Option<String>,
    /// A whole RFC 822 message (headers and body), as a string.
    #[serde(default)]
    pub raw: Option<String>,
}

/// Analyses a posted text or message without storing anything. The answer is the object printed by
/// `workers analyze` (without `file`/`id`): language, intent, signature, entities, keywords. The body is
/// limited by `API_MAX_BODY_BYTES`.
#[utoipa::path(
    post,
    path = "/api/v1/analyze",
    tag = "intelligence",
    request_body = AnalyzeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The analysis", body = Object),
        (status = 400, description = "Neither or both of `text` and `raw`, or an invalid body", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Below the user role", body = crate::error::ErrorBody),
        (status = 413, description = "Body too large", body = crate::error::ErrorBody),
    )
)]
pub async fn analyze(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<AnalyzeRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::User)?;
    let analyzer = &state.analyzer;
    let analysis = match body.into_inner() {
        AnalyzeRequest {
            text: Some(text),
            raw: None,
        } => analyzer.analyze_text(&text).await,
        AnalyzeRequest {
            text: None,
            raw: Some(raw),
        } => analyzer.analyze_message(raw.as_bytes()).await,
        AnalyzeRequest { text: Some(_), .. } => {
            return Err(ApiError::invalid_field(
                "raw",
                "give either `text` or `raw`, not both",
            ));
        }
        _ => {
            return Err(ApiError::invalid_field(
                "text",
                "`text` (a body) or `raw` (an RFC 822 message) is required",
            ));
        }
    };
    Ok(HttpResponse::Ok().json(analysis))
}
