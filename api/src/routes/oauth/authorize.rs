use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::provider_of;
use super::state as oauth_state;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Where to send the user for consent.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthorizeResponse {
    /// The provider's consent URL (carries `state` and the PKCE `code_challenge`, method S256).
    pub url: String,
    /// One-time, bound to the caller, valid `expires_in` seconds.
    pub state: String,
    pub expires_in: u64,
}

/// The provider's consent URL, with a random `state` stored for 5 minutes and bound to the caller, and a
/// PKCE code challenge (S256) whose verifier is kept with the state, server-side, for the token exchange.
#[utoipa::path(
    get,
    path = "/api/v1/oauth/{provider}/authorize",
    tag = "oauth",
    params(("provider" = String, Path, description = "`gmail` or `outlook`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consent URL", body = AuthorizeResponse),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown or unconfigured provider (`unknown_provider`)", body = crate::error::ErrorBody),
    )
)]
pub async fn authorize(
    state: web::Data<AppState>,
    user: AuthUser,
    provider: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (provider, _, _) = provider_of(&state, &provider)?;
    let value = oauth_state::new_state();
    let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    let url = oauth_state::consent_url(&state.oauth, provider, &value, challenge.as_str())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("OAuth provider not configured")))?;
    let mut redis = state.redis();
    oauth_state::save_state(
        &mut redis,
        state.keys().ns(),
        &value,
        user.id,
        provider,
        verifier.secret(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(AuthorizeResponse {
        url: url.to_string(),
        state: value,
        expires_in: oauth_state::STATE_TTL_SECS,
    }))
}
