use actix_web::{HttpResponse, web};
use crm_mailbox::oauth::{self, OAuthError};
use crm_queue::EnqueueOptions;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use shared::db::{DbError, run_blocking};
use shared::jobs::payloads::mail::SyncAccount;
use shared::models::email_account::{self as accounts, ImapAuth, NewEmailAccount, Provider};

use super::provider_of;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::Query;
use crate::middleware::RequestId;
use crate::routes::email_accounts::EmailAccountView;
use crate::routes::jobs::enqueue_error;
use crate::state::AppState;

/// The provider's redirect parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` of the authorize call.
    pub state: Option<String>,
    /// Set by the provider when the user declined.
    pub error: Option<String>,
}

/// The connected account and its first sync.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallbackResponse {
    pub account: EmailAccountView,
    /// True when the account was created, false when an existing one got new tokens.
    pub created: bool,
    /// The first sync (`mail.sync_account`).
    pub job_id: String,
}

fn invalid_state() -> ApiError {
    ApiError::bad_request(
        "invalid_state",
        "missing, expired, already used or foreign OAuth state",
    )
}

/// Completes a consent: checks the one-time `state` (consumed only by its owner), exchanges the code with
/// the state's PKCE verifier, stores the tokens encrypted, creates or updates the account and enqueues its
/// first sync.
#[utoipa::path(
    get,
    path = "/api/v1/oauth/{provider}/callback",
    tag = "oauth",
    params(("provider" = String, Path, description = "`gmail` or `outlook`"), CallbackQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Account connected, first sync enqueued", body = CallbackResponse),
        (status = 400, description = "Missing, expired, reused or another user's state (`invalid_state`), consent declined (`oauth_denied`) or code refused (`oauth_exchange_failed`)", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown or unconfigured provider", body = crate::error::ErrorBody),
        (status = 409, description = "The caller has a mailbox of another provider with this address", body = crate::error::ErrorBody),
    )
)]
pub async fn callback(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    provider: web::Path<String>,
    query: Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let (provider, config, redirect) = provider_of(&state, &provider)?;
    let CallbackQuery {
        code,
        state: oauth_state,
        error,
    } = query.into_inner();
    let oauth_state = oauth_state.ok_or_else(invalid_state)?;
    let mut redis = state.redis();
    let verifier = super::state::take_state(
        &mut redis,
        state.keys().ns(),
        &oauth_state,
        user.id,
        provider,
    )
    .await?
    .ok_or_else(invalid_state)?;
    if let Some(error) = error {
        return Err(ApiError::bad_request(
            "oauth_denied",
            format!(
                "the provider returned `{}`",
                error.chars().take(100).collect::<String>()
            ),
        ));
    }
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid_field("code", "the authorization code is missing"))?;
    let secrets = state
        .mail
        .secrets
        .clone()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("MAIL_ENCRYPTION_KEY is not set")))?;
    let grant = oauth::exchange_code(
        &state.http,
        config,
        &redirect,
        &SecretString::from(code),
        &verifier,
    )
    .await
    .map_err(oauth_error)?;
    let address = oauth::mailbox_address(&state.http, provider, config, &grant.tokens.access_token)
        .await
        .map_err(oauth_error)?;
    let sealed = secrets.encrypt(
        serde_json::to_string(&grant.tokens)
            .map_err(|e| ApiError::Internal(e.into()))?
            .as_bytes(),
    );
    let owner = user.id;
    let expires_at = grant.expires_at;
    let (account, created) = run_blocking(&state.pool, move |c| {
        if let Some(existing) = accounts::find_by_address(c, owner, &address)? {
            if existing.provider != provider {
                return Ok(Err(existing.provider));
            }
            accounts::update_secret(c, existing.id, &sealed, expires_at)?;
            accounts::set_active(c, existing.id, true)?;
            let account = accounts::find_account(c, existing.id)?
                .ok_or_else(|| DbError::from(diesel::result::Error::NotFound))?;
            return Ok(Ok((account, false)));
        }
        let new = NewEmailAccount {
            owner_user_id: owner,
            provider,
            address,
            imap_host: None,
            imap_port: None,
            imap_security: None,
            imap_auth: ImapAuth::Xoauth2,
            username: None,
            secret_ciphertext: Some(sealed),
            token_expires_at: expires_at,
            folders: default_folders(provider),
        };
        accounts::create_account(c, &new).map(|a| Ok((a, true)))
    })
    .await?
    .map_err(|other| ApiError::Conflict {
        code: "duplicate_account",
        message: format!("a {other} account with this address already exists"),
    })?;
    let enqueued = state
        .queue
        .enqueue(
            &SyncAccount {
                account_id: account.id,
            },
            EnqueueOptions {
                request_id: Some(request_id.0.clone()),
                actor: shared::permissions::Actor::User(user.id),
                ..EnqueueOptions::default()
            },
        )
        .await
        .map_err(|e| enqueue_error("mail.sync_account", e))?;
    tracing::info!(
        account.id = account.id.0,
        provider = provider.as_str(),
        created,
        "OAuth mailbox connected"
    );
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "email_account.oauth_connect",
            target_type: "email_account",
            target_id: account.id.to_string(),
            details: serde_json::json!({ "provider": provider.as_str(), "created": created }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Ok().json(CallbackResponse {
        account: EmailAccountView::from(account),
        created,
        job_id: enqueued.job_id.to_string(),
    }))
}

/// Folders of a new OAuth account: Gmail label ids, Graph well-known folder names.
fn default_folders(provider: Provider) -> Vec<String> {
    match provider {
        Provider::Gmail => vec!["INBOX".to_owned(), "SENT".to_owned()],
        _ => vec!["inbox".to_owned(), "sentitems".to_owned()],
    }
}

fn oauth_error(e: OAuthError) -> ApiError {
    match e {
        e @ OAuthError::Refused { .. } => {
            ApiError::bad_request("oauth_exchange_failed", e.to_string())
        }
        other => ApiError::Unavailable(anyhow::Error::new(other)),
    }
}
