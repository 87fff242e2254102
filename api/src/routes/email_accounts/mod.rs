//! Email accounts (mailboxes synced into the CRM): create (IMAP, after a test login), list, show, update,
//! delete, sync now. Secrets are never returned; another user's account is a 404 unless the caller is an
//! admin.

pub mod create;
pub mod delete;
pub mod list;
pub mod show;
pub mod sync;
pub mod update;

use actix_web::web;
use chrono::{DateTime, Utc};
use crm_mailbox::accounts::AccountError;
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::email_account::{self as accounts, EmailAccount, EmailAccountId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/email-accounts", web::post().to(create::create))
        .route("/email-accounts", web::get().to(list::list))
        .route("/email-accounts/{id}", web::get().to(show::show))
        .route("/email-accounts/{id}", web::patch().to(update::update))
        .route("/email-accounts/{id}", web::delete().to(delete::delete))
        .route("/email-accounts/{id}/sync", web::post().to(sync::sync));
}

/// An email account as the API shows it: settings and sync status, never the secret.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EmailAccountView {
    pub id: i64,
    pub owner_user_id: i64,
    /// `imap`, `gmail` or `outlook`.
    pub provider: String,
    pub address: String,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    /// `tls`, `starttls` or `none`.
    pub imap_security: Option<String>,
    /// `login` or `xoauth2`.
    pub imap_auth: String,
    pub username: Option<String>,
    pub folders: Vec<String>,
    pub active: bool,
    /// The provider revoked the grant: the owner must sign in again (OAuth accounts).
    pub needs_reconsent: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EmailAccount> for EmailAccountView {
    fn from(a: EmailAccount) -> Self {
        Self {
            id: a.id.0,
            owner_user_id: a.owner_user_id.0,
            provider: a.provider.as_str().to_owned(),
            address: a.address,
            imap_host: a.imap_host,
            imap_port: a.imap_port,
            imap_security: a.imap_security.map(|s| s.as_str().to_owned()),
            imap_auth: a.imap_auth.as_str().to_owned(),
            username: a.username,
            folders: a.folders,
            active: a.active,
            needs_reconsent: a.needs_reconsent,
            last_sync_at: a.last_sync_at,
            last_error: a.last_error,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// The account `id` if the caller owns it or is an admin; 404 otherwise (so ids of other users' accounts
/// are not disclosed).
pub(crate) async fn visible_account(
    state: &AppState,
    user: &AuthUser,
    id: i64,
) -> Result<EmailAccount, ApiError> {
    let account = run_blocking(&state.pool, move |c| {
        accounts::find_account(c, EmailAccountId(id))
    })
    .await?;
    match account {
        Some(a) if user.sees_mailbox_of(a.owner_user_id) => Ok(a),
        _ => Err(ApiError::not_found(format!("email account {id} not found"))),
    }
}

/// Maps a refused account creation to its status.
pub(crate) fn account_error(err: AccountError) -> ApiError {
    match err {
        AccountError::Invalid { field, message } => {
            ApiError::invalid_field(field, format!("invalid field `{field}`: {message}"))
        }
        e @ AccountError::LoginRefused(_) => ApiError::bad_request("login_refused", e.to_string()),
        e @ AccountError::Unreachable(_) => {
            ApiError::bad_request("server_unreachable", e.to_string())
        }
        e @ AccountError::EgressRefused(_) => ApiError::BadRequest {
            code: "egress_refused",
            message: e.to_string(),
            field: Some("host".to_owned()),
        },
        e @ AccountError::PlaintextRefused => ApiError::BadRequest {
            code: "plaintext_disabled",
            message: e.to_string(),
            field: Some("security".to_owned()),
        },
        e @ AccountError::Duplicate => ApiError::Conflict {
            code: "duplicate_account",
            message: e.to_string(),
        },
        e @ AccountError::NoKey => ApiError::Internal(anyhow::Error::new(e)),
        AccountError::Db(e) => e.into(),
    }
}
