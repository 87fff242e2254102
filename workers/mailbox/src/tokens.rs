//! The OAuth access token of a Gmail or Outlook account inside a sync: decrypted from the account,
//! refreshed shortly before it expires or after a 401, and sealed back with its new expiry. Microsoft
//! rotates refresh tokens, so the refresh token of every grant replaces the stored one. A refused grant
//! (`invalid_grant`: revoked, expired, password changed) marks the account as needing a new consent.

use chrono::{DateTime, Utc};
use shared::crypto::SecretBox;
use shared::db::{PgPool, run_blocking};
use shared::models::email_account::{self as accounts, EmailAccount, EmailAccountId};

use shared::config::ProviderConfig;

use super::oauth::{self, StoredTokens};
use super::provider::ProviderError;

/// A token is refreshed when it expires within this many seconds.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// The tokens of one account during one sync.
pub struct AccountTokens<'a> {
    pool: &'a PgPool,
    secrets: &'a SecretBox,
    config: &'a ProviderConfig,
    http: egress::EgressHttp,
    account_id: EmailAccountId,
    tokens: StoredTokens,
    expires_at: Option<DateTime<Utc>>,
}

impl<'a> AccountTokens<'a> {
    /// Decrypts the account's stored tokens.
    pub fn load(
        pool: &'a PgPool,
        secrets: &'a SecretBox,
        config: &'a ProviderConfig,
        http: egress::EgressHttp,
        account: &EmailAccount,
    ) -> Result<Self, ProviderError> {
        let sealed = account
            .secret_ciphertext
            .as_deref()
            .ok_or_else(|| ProviderError::Config("no OAuth tokens stored".into()))?;
        let plain = secrets
            .decrypt(sealed)
            .map_err(|e| ProviderError::Config(format!("OAuth tokens: {e}")))?;
        let tokens: StoredTokens = serde_json::from_slice(&plain)
            .map_err(|_| ProviderError::Config("OAuth tokens are not token JSON".into()))?;
        Ok(Self {
            pool,
            secrets,
            config,
            http,
            account_id: account.id,
            tokens,
            expires_at: account.token_expires_at,
        })
    }

    /// The HTTP client calls are made with.
    pub fn http(&self) -> &egress::EgressHttp {
        &self.http
    }

    /// An access token valid for at least a minute (refreshed first when it is not).
    pub async fn access_token(&mut self) -> Result<String, ProviderError> {
        let expiring = self
            .expires_at
            .is_some_and(|at| at <= Utc::now() + chrono::Duration::seconds(EXPIRY_MARGIN_SECS));
        if expiring {
            self.refresh().await?;
        }
        Ok(self.tokens.access_token.clone())
    }

    /// Gets a new access token with the refresh token and stores the new grant (rotated refresh token
    /// included) sealed on the account. `invalid_grant` marks the account as needing a new consent.
    pub async fn refresh(&mut self) -> Result<(), ProviderError> {
        let Some(refresh_token) = self.tokens.refresh_token.clone() else {
            let reason = "the access token expired and no refresh token is stored: connect the mailbox again";
            self.mark_reconsent(reason).await?;
            return Err(ProviderError::Reconsent(reason.into()));
        };
        let grant = match oauth::refresh(&self.http, self.config, &refresh_token).await {
            Ok(grant) => grant,
            Err(e) if e.is_invalid_grant() => {
                // The provider's description is left out: it may quote account details, and this
                // reason is logged and shown to the owner.
                let reason = "the provider refused the refresh token (invalid_grant: revoked or \
                              expired): connect the mailbox again";
                self.mark_reconsent(reason).await?;
                return Err(ProviderError::Reconsent(reason.into()));
            }
            Err(oauth::OAuthError::Refused { error, .. }) => {
                // invalid_client, unauthorized_client...: our configuration, not the user's grant.
                return Err(ProviderError::Config(format!(
                    "the token endpoint refused the refresh: {error}"
                )));
            }
            Err(e) => return Err(ProviderError::Network(e.to_string())),
        };
        let json = serde_json::to_vec(&grant.tokens)
            .map_err(|e| ProviderError::Config(format!("OAuth tokens: {e}")))?;
        let sealed = self.secrets.encrypt(&json);
        let (id, expires_at) = (self.account_id, grant.expires_at);
        run_blocking(self.pool, move |c| {
            accounts::update_secret(c, id, &sealed, expires_at)
        })
        .await?;
        tracing::info!(account.id = id.0, "OAuth access token refreshed");
        self.tokens = grant.tokens;
        self.expires_at = expires_at;
        Ok(())
    }

    async fn mark_reconsent(&self, reason: &str) -> Result<(), ProviderError> {
        let (id, reason) = (self.account_id, reason.to_owned());
        tracing::warn!(
            account.id = id.0,
            "OAuth grant refused: the account needs a new consent"
        );
        run_blocking(self.pool, move |c| {
            accounts::mark_needs_reconsent(c, id, &reason)
        })
        .await?;
        Ok(())
    }
}
