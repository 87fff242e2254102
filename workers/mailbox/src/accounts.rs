//! Account domain functions for the API: create an IMAP account after a test login, so wrong
//! credentials are refused with the server's reason before anything is saved.

use egress::EgressPolicy;
use secrecy::{ExposeSecret, SecretString};
use shared::config::ImapLimits;
use shared::crypto::SecretBox;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::UserId;
use shared::models::email_account::{
    self as accounts, EmailAccount, ImapAuth, ImapSecurity, NewEmailAccount, Provider,
};

use super::imap::{self, Credentials, ImapError, ImapSettings};

/// What the API receives to create an IMAP account. `Debug` prints no secret.
#[derive(Clone, serde::Deserialize)]
pub struct NewImapAccount {
    pub address: String,
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    #[serde(default)]
    pub auth: Option<ImapAuth>,
    /// Login name; the address when absent.
    #[serde(default)]
    pub username: Option<String>,
    /// The password (or, with `auth = xoauth2`, the access token).
    pub secret: SecretString,
    /// Folders to sync; `INBOX` and `Sent` when absent.
    #[serde(default)]
    pub folders: Option<Vec<String>>,
}

impl std::fmt::Debug for NewImapAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewImapAccount")
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// Why an account was not created; each maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// 400: a field is invalid.
    #[error("invalid `{field}`: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    /// 400: the server refused the credentials (a standard response code at most, never its text).
    #[error("the IMAP server refused the login: {0}")]
    LoginRefused(String),
    /// 400: the egress policy refuses the host (private, loopback, metadata… addresses).
    #[error("the IMAP server is not allowed: {0}")]
    EgressRefused(egress::EgressError),
    /// 400: `security: none` while plaintext IMAP is disabled (`IMAP_ALLOW_PLAINTEXT`).
    #[error(
        "plaintext IMAP (security `none`) is disabled on this platform: use `tls` or `starttls`"
    )]
    PlaintextRefused,
    /// 400: the server could not be reached or spoke no IMAP (reason).
    #[error("the IMAP server could not be reached: {0}")]
    Unreachable(String),
    /// 409: the owner already has an account with this address.
    #[error("an account with this address already exists")]
    Duplicate,
    /// 500: `MAIL_ENCRYPTION_KEY` is not configured.
    #[error("MAIL_ENCRYPTION_KEY is not set")]
    NoKey,
    #[error("database: {0}")]
    Db(#[from] DbError),
}

/// How the test login connects: extra trusted roots (besides the system's CAs), the egress policy and the
/// IMAP limits.
#[derive(Debug, Clone, Default)]
pub struct LoginCheck {
    pub extra_roots: Vec<Vec<u8>>,
    pub egress: EgressPolicy,
    pub limits: ImapLimits,
}

/// Most folders an account may sync.
pub const MAX_FOLDERS: usize = 100;
/// Longest folder name, in bytes.
pub const MAX_FOLDER_BYTES: usize = 200;

/// Checks folder names as IMAP commands will carry them: one to [`MAX_FOLDERS`] names, none blank, none
/// longer than [`MAX_FOLDER_BYTES`], none holding a control character (CR, LF and NUL would end or
/// corrupt the command line). The error is the reason, for a 400 naming `folders`.
pub fn check_folder_names(folders: &[String]) -> Result<(), &'static str> {
    if folders.is_empty() || folders.len() > MAX_FOLDERS {
        return Err("one to 100 folder names");
    }
    for f in folders {
        if f.trim().is_empty() {
            return Err("folder names must not be blank");
        }
        if f.len() > MAX_FOLDER_BYTES {
            return Err("folder names are at most 200 bytes");
        }
        if f.chars().any(char::is_control) {
            return Err("folder names must not hold control characters (CR, LF, NUL…)");
        }
    }
    Ok(())
}

/// Validates, test-logs in (unless `verify` is false: tests, imports) under `check`, seals the secret and
/// creates the account. `security: none` is refused unless `check.limits` allows plaintext.
pub async fn create_imap_account(
    pool: &PgPool,
    secrets: Option<&SecretBox>,
    check: &LoginCheck,
    owner: UserId,
    input: NewImapAccount,
    verify: bool,
) -> Result<EmailAccount, AccountError> {
    let secrets = secrets.ok_or(AccountError::NoKey)?;
    let address = input.address.trim().to_owned();
    if address.len() > 320 || !address.contains('@') || address.chars().any(char::is_whitespace) {
        return Err(AccountError::Invalid {
            field: "address",
            message: "not an email address",
        });
    }
    let host = input.host.trim().to_owned();
    if host.is_empty() || host.len() > 253 || host.chars().any(char::is_whitespace) {
        return Err(AccountError::Invalid {
            field: "host",
            message: "not a host name",
        });
    }
    if input.port == 0 {
        return Err(AccountError::Invalid {
            field: "port",
            message: "must be 1..=65535",
        });
    }
    if input.secret.expose_secret().is_empty() {
        return Err(AccountError::Invalid {
            field: "secret",
            message: "must not be empty",
        });
    }
    let folders = input
        .folders
        .clone()
        .unwrap_or_else(accounts::default_folders);
    check_folder_names(&folders).map_err(|message| AccountError::Invalid {
        field: "folders",
        message,
    })?;
    if input.security == ImapSecurity::None && !check.limits.allow_plaintext {
        return Err(AccountError::PlaintextRefused);
    }
    let auth = input.auth.unwrap_or(ImapAuth::Login);
    let user = input.username.clone().unwrap_or_else(|| address.clone());
    if verify {
        let credentials = match auth {
            ImapAuth::Login => Credentials::Password {
                user: user.clone(),
                password: input.secret.clone(),
            },
            ImapAuth::Xoauth2 => Credentials::XOAuth2 {
                user: user.clone(),
                token: input.secret.clone(),
            },
        };
        let settings = ImapSettings {
            host: host.clone(),
            port: input.port,
            security: input.security,
            credentials,
            extra_roots: check.extra_roots.clone(),
            egress: check.egress.clone(),
            limits: check.limits,
        };
        match imap::connect(&settings).await {
            Ok(mut session) => {
                imap::folder::limit_next(
                    &mut session,
                    imap::ReadLimits::small(imap::LOGIN_READ_BYTES, check.limits.connect_timeout),
                );
                let _ = session.logout().await;
            }
            Err(ImapError::Auth(reason)) => return Err(AccountError::LoginRefused(reason)),
            Err(ImapError::Egress(e)) if e.is_refusal() => {
                return Err(AccountError::EgressRefused(e));
            }
            Err(ImapError::PlaintextRefused) => return Err(AccountError::PlaintextRefused),
            Err(other) => return Err(AccountError::Unreachable(other.to_string())),
        }
    }
    let new = NewEmailAccount {
        owner_user_id: owner,
        provider: Provider::Imap,
        address,
        imap_host: Some(host),
        imap_port: Some(i32::from(input.port)),
        imap_security: Some(input.security),
        imap_auth: auth,
        username: Some(user),
        secret_ciphertext: Some(secrets.encrypt_str(&input.secret)),
        token_expires_at: None,
        folders,
    };
    run_blocking(pool, move |c| accounts::create_account(c, &new))
        .await
        .map_err(|e| match e {
            DbError::UniqueViolation { .. } => AccountError::Duplicate,
            other => AccountError::Db(other),
        })
}
