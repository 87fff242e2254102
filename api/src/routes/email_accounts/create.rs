use actix_web::{HttpResponse, web};
use crm_mailbox::accounts::{LoginCheck, NewImapAccount, create_imap_account};
use secrecy::SecretString;
use serde::Deserialize;
use shared::models::email_account::{ImapAuth, ImapSecurity};

use super::{EmailAccountView, account_error};
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// An IMAP mailbox to sync. The secret is checked by a test login, stored encrypted and never returned.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmailAccountRequest {
    #[schema(example = "jeanne@example.fr")]
    pub address: String,
    #[schema(example = "imap.example.fr")]
    pub host: String,
    #[schema(example = 993)]
    pub port: u16,
    /// `tls` (default), `starttls` or `none`.
    #[serde(default)]
    pub security: Option<String>,
    /// `login` (default) or `xoauth2` (the secret is then an access token).
    #[serde(default)]
    pub auth: Option<String>,
    /// Login name; the address when absent.
    #[serde(default)]
    pub username: Option<String>,
    /// The password (or access token).
    #[schema(value_type = String, format = Password)]
    pub secret: SecretString,
    /// Folders to sync (1 to 100 names of at most 200 bytes, no control characters); `INBOX` and
    /// `Sent` when absent.
    #[serde(default)]
    pub folders: Option<Vec<String>>,
}

/// Creates an IMAP account after a test login with its credentials.
#[utoipa::path(
    post,
    path = "/api/v1/email-accounts",
    tag = "email-accounts",
    request_body = CreateEmailAccountRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (no secret in the answer)", body = EmailAccountView),
        (status = 400, description = "Invalid field; host refused by the egress policy (`egress_refused`: private, loopback, link-local, metadata… addresses); `security: none` while plaintext IMAP is disabled (`plaintext_disabled`); login refused by the server (`login_refused`, with its standard response code, never the server's text); server unreachable or not speaking IMAP within the limits (`server_unreachable`)", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 409, description = "The caller already has an account with this address (`duplicate_account`)", body = crate::error::ErrorBody),
        (status = 429, description = "The caller already runs a test login (`rate_limited`)", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<CreateEmailAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let security = match req.security.as_deref() {
        None => ImapSecurity::Tls,
        Some(s) => s.parse().map_err(|_| {
            ApiError::invalid_field("security", "security must be `tls`, `starttls` or `none`")
        })?,
    };
    let auth = match req.auth.as_deref() {
        None => ImapAuth::Login,
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::invalid_field("auth", "auth must be `login` or `xoauth2`"))?,
    };
    let input = NewImapAccount {
        address: req.address,
        host: req.host,
        port: req.port,
        security,
        auth: Some(auth),
        username: req.username,
        secret: req.secret,
        folders: req.folders,
    };
    // One test login at a time per user: each holds a connection for up to the connect timeout.
    let _slot = state.test_logins.try_acquire(user.id).ok_or_else(|| {
        let secs = state.mail.imap.connect_timeout.as_secs().max(1);
        ApiError::RateLimited(crate::rate_limit::RateLimit {
            limit: u32::try_from(crate::test_logins::TEST_LOGINS_PER_USER).unwrap_or(1),
            remaining: 0,
            reset_secs: u32::try_from(secs).unwrap_or(u32::MAX),
            exceeded: true,
        })
    })?;
    let check = LoginCheck {
        extra_roots: state.mail.tls_extra_roots.clone(),
        egress: state.config.common.egress.clone(),
        limits: state.mail.imap,
    };
    let account = create_imap_account(
        &state.pool,
        state.mail.secrets.as_ref(),
        &check,
        user.id,
        input,
        true,
    )
    .await
    .map_err(account_error)?;
    tracing::info!(account.id = account.id.0, "email account created");
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "email_account.create",
            target_type: "email_account",
            target_id: account.id.to_string(),
            details: serde_json::json!({ "provider": account.provider.as_str() }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/email-accounts/{}", account.id),
        ))
        .json(EmailAccountView::from(account)))
}
