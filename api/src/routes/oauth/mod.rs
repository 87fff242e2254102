//! OAuth consent for Gmail and Outlook mailboxes: the consent URL with a one-time `state`, and the
//! callback that exchanges the code, stores the tokens encrypted, creates or updates the account and
//! enqueues its first sync.

pub mod authorize;
pub mod callback;
mod state;

use actix_web::web;
use shared::config::ProviderConfig;
use shared::models::email_account::Provider;

use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/oauth/{provider}/authorize",
        web::get().to(authorize::authorize),
    )
    .route(
        "/oauth/{provider}/callback",
        web::get().to(callback::callback),
    );
}

/// The provider of the path and its settings: 404 for an unknown or unconfigured provider.
pub(crate) fn provider_of<'a>(
    state: &'a AppState,
    name: &str,
) -> Result<(Provider, &'a ProviderConfig, String), ApiError> {
    let not_found = || ApiError::NotFound {
        code: "unknown_provider",
        message: "OAuth provider unknown or not configured (gmail, outlook)".to_owned(),
    };
    let provider = state::parse_provider(name).ok_or_else(not_found)?;
    let config = state.oauth.provider(provider).ok_or_else(not_found)?;
    let redirect = state.oauth.redirect_uri(provider).ok_or_else(not_found)?;
    Ok((provider, config, redirect))
}
