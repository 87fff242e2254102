//! Syncing one account end to end: load it, take its lock, decrypt its secret, sync each folder over
//! IMAP, the Gmail API or Microsoft Graph, record the outcome on the account.

use crm_queue::JobQueue;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use shared::crypto::SecretBox;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::email_account::{
    self as accounts, EmailAccount, EmailAccountId, ImapAuth, Provider,
};
use shared::redis_conn::RedisConn;

use super::imap::folder::FolderLimits;
use super::imap::{self, Credentials, FolderOutcome, ImapError, ImapSettings};
use super::lock::{self, AccountLock};
use egress::EgressPolicy;
use shared::config::{ImapLimits, OAuthConfig};

use super::bounces::CampaignFeedback;
use super::oauth;
use super::provider::{ApiClient, ProviderError};
use super::store::{Stored, Target};
use super::tokens::AccountTokens;
use super::{gmail, graph};
use shared::progress::ReportProgress;

/// Settings of a sync run.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub max_bytes: u64,
    pub batch_size: usize,
    /// Extra trusted TLS roots (DER), for servers with a private CA.
    pub extra_roots: Vec<Vec<u8>>,
    /// OAuth clients and API URLs of Gmail and Outlook accounts (token refresh, REST calls).
    pub oauth: OAuthConfig,
    /// Which addresses IMAP servers and provider APIs may have (`EGRESS_ALLOW_CIDRS`).
    pub egress: EgressPolicy,
    /// IMAP plaintext and timeouts (`IMAP_*`).
    pub imap: ImapLimits,
    /// The bounce mailbox and what reading it needs (`CAMPAIGN_BOUNCE_ACCOUNT_ID`); only that account's
    /// messages are read for campaign feedback.
    pub feedback: Option<CampaignFeedback>,
}

impl Default for SyncSettings {
    /// The strict egress policy, no plaintext IMAP.
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1_048_576,
            batch_size: 100,
            extra_roots: Vec::new(),
            oauth: OAuthConfig::default(),
            egress: EgressPolicy::default(),
            imap: ImapLimits::default(),
            feedback: None,
        }
    }
}

/// What the caller provides: stores, the secret box and the Redis namespace of locks.
pub struct SyncDeps<'a> {
    pub pool: &'a PgPool,
    pub redis: RedisConn,
    pub namespace: &'a str,
    pub secrets: Option<&'a SecretBox>,
    /// Where `intel.analyze_email` is enqueued for every new inbound message (none: not analysed).
    pub analysis_queue: Option<&'a JobQueue>,
}

/// Why a sync failed. Messages hold no secret, address or content.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("provider {0} is not synced over this path yet")]
    Unsupported(Provider),
    #[error("account secret: {0}")]
    Secret(String),
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

impl SyncError {
    /// True when retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Imap(e) => e.is_transient(),
            Self::Provider(e) => e.is_transient(),
            Self::Db(e) => e.is_transient(),
            Self::Redis(_) => true,
            Self::Unsupported(_) | Self::Secret(_) => false,
        }
    }
}

/// Result of a sync (the job's result: ids and counts only).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SyncOutcome {
    pub account_id: i64,
    /// Why nothing was done: `deleted`, `inactive`, `needs_reconsent`, `already_running`.
    pub skipped: Option<&'static str>,
    pub folders: Vec<FolderOutcome>,
    pub totals: Stored,
}

/// Syncs one account. Never runs concurrently with another sync of the same account (returns
/// `skipped: already_running` instead). Failures are recorded on the account before being returned.
pub async fn sync_account(
    deps: &SyncDeps<'_>,
    settings: &SyncSettings,
    account_id: i64,
    progress: &dyn ReportProgress,
) -> Result<SyncOutcome, SyncError> {
    let id = EmailAccountId(account_id);
    let mut outcome = SyncOutcome {
        account_id,
        ..SyncOutcome::default()
    };
    let Some(account) = run_blocking(deps.pool, move |c| accounts::find_account(c, id)).await?
    else {
        // Deleted after the sync was queued (deleting an account stops its sync): nothing to do.
        outcome.skipped = Some("deleted");
        return Ok(outcome);
    };
    if !account.active {
        outcome.skipped = Some("inactive");
        return Ok(outcome);
    }
    if account.needs_reconsent {
        outcome.skipped = Some("needs_reconsent");
        return Ok(outcome);
    }
    let Some(held) =
        AccountLock::acquire(deps.redis.clone(), lock::key(deps.namespace, account_id)).await?
    else {
        outcome.skipped = Some("already_running");
        return Ok(outcome);
    };
    let result = run_locked(deps, settings, &account, progress, &mut outcome).await;
    held.release().await;
    match result {
        Ok(()) => {
            run_blocking(deps.pool, move |c| accounts::record_sync_ok(c, id)).await?;
            tracing::info!(
                account.id = account_id,
                inserted = outcome.totals.inserted,
                duplicates = outcome.totals.duplicates,
                skipped = outcome.totals.skipped,
                bounces = outcome.totals.feedback.bounces,
                complaints = outcome.totals.feedback.complaints,
                unsubscribes = outcome.totals.feedback.unsubscribes,
                "mailbox synced"
            );
            Ok(outcome)
        }
        Err(e) => {
            let reason: String = e.to_string().chars().take(500).collect();
            tracing::warn!(account.id = account_id, error = %reason, "mailbox sync failed");
            if let Err(db) = run_blocking(deps.pool, move |c| {
                accounts::record_sync_error(c, id, &reason)
            })
            .await
            {
                tracing::warn!(account.id = account_id, error = %db, "could not record the sync error");
            }
            Err(e)
        }
    }
}

async fn run_locked(
    deps: &SyncDeps<'_>,
    settings: &SyncSettings,
    account: &EmailAccount,
    progress: &dyn ReportProgress,
    outcome: &mut SyncOutcome,
) -> Result<(), SyncError> {
    if account.provider != Provider::Imap {
        return run_api(deps, settings, account, progress, outcome).await;
    }
    let imap_settings = imap_settings(account, deps.secrets, settings)?;
    progress.report(0, "connecting").await;
    let mut session = imap::connect(&imap_settings).await?;
    let (target, limits) = storing(deps, settings, account);
    let n = account.folders.len();
    for (i, folder) in account.folders.iter().enumerate() {
        let scaled = FolderProgress::new(progress, i, n);
        let done =
            imap::sync_folder(&mut session, deps.pool, &target, folder, limits, &scaled).await?;
        outcome.totals += done.stored;
        outcome.folders.push(done);
    }
    if let Err(e) = session.logout().await {
        tracing::debug!(account.id = account.id.0, error = %e, "IMAP logout failed");
    }
    progress.report(100, "done").await;
    Ok(())
}

/// Where an account's messages are stored and the per-message limits, for every provider.
fn storing(
    deps: &SyncDeps<'_>,
    settings: &SyncSettings,
    account: &EmailAccount,
) -> (Target, FolderLimits) {
    let target = Target {
        account_id: account.id,
        address: account.address.to_lowercase(),
        analysis_queue: deps.analysis_queue.cloned(),
        feedback: settings.feedback.clone(),
    };
    let limits = FolderLimits {
        max_bytes: settings.max_bytes,
        batch_size: settings.batch_size,
        command_timeout: settings.imap.command_timeout,
    };
    (target, limits)
}

/// Syncs a Gmail or Outlook account through its REST API.
async fn run_api(
    deps: &SyncDeps<'_>,
    settings: &SyncSettings,
    account: &EmailAccount,
    progress: &dyn ReportProgress,
    outcome: &mut SyncOutcome,
) -> Result<(), SyncError> {
    let config = settings.oauth.provider(account.provider).ok_or_else(|| {
        ProviderError::Config(format!(
            "{} OAuth is not configured in this worker",
            account.provider
        ))
    })?;
    let secrets = deps
        .secrets
        .ok_or_else(|| SyncError::Secret("MAIL_ENCRYPTION_KEY is not set".into()))?;
    let http = oauth::http_client(&settings.egress);
    let tokens = AccountTokens::load(deps.pool, secrets, config, http, account)?;
    let mut api = ApiClient::new(tokens, config.api_url.clone());
    if account.provider == Provider::Outlook {
        // Delta pages hold 10 messages by default.
        api = api.with_prefer(graph::PREFER);
    }
    let (target, limits) = storing(deps, settings, account);
    progress.report(0, "connecting").await;
    let folders = match account.provider {
        Provider::Gmail => {
            gmail::sync(
                &mut api,
                deps.pool,
                &target,
                &account.folders,
                limits,
                progress,
            )
            .await?
        }
        _ => {
            graph::sync(
                &mut api,
                deps.pool,
                &target,
                &account.folders,
                limits,
                progress,
            )
            .await?
        }
    };
    for f in folders {
        outcome.totals += f.stored;
        outcome.folders.push(f);
    }
    progress.report(100, "done").await;
    Ok(())
}

/// Connection settings of an IMAP account, with its secret decrypted.
pub fn imap_settings(
    account: &EmailAccount,
    secrets: Option<&SecretBox>,
    settings: &SyncSettings,
) -> Result<ImapSettings, SyncError> {
    if account.provider != Provider::Imap {
        return Err(SyncError::Unsupported(account.provider));
    }
    let (Some(host), Some(port), Some(security)) =
        (&account.imap_host, account.imap_port, account.imap_security)
    else {
        return Err(SyncError::Secret("IMAP settings incomplete".into()));
    };
    let port =
        u16::try_from(port).map_err(|_| SyncError::Secret("IMAP port out of range".into()))?;
    let secrets =
        secrets.ok_or_else(|| SyncError::Secret("MAIL_ENCRYPTION_KEY is not set".into()))?;
    let sealed = account
        .secret_ciphertext
        .as_deref()
        .ok_or_else(|| SyncError::Secret("no secret stored".into()))?;
    let secret = secrets
        .decrypt_str(sealed)
        .map_err(|e| SyncError::Secret(e.to_string()))?;
    let user = account
        .username
        .clone()
        .unwrap_or_else(|| account.address.clone());
    let credentials = match account.imap_auth {
        ImapAuth::Login => Credentials::Password {
            user,
            password: secret,
        },
        ImapAuth::Xoauth2 => Credentials::XOAuth2 {
            user,
            token: access_token(&secret),
        },
    };
    Ok(ImapSettings {
        host: host.clone(),
        port,
        security,
        credentials,
        extra_roots: settings.extra_roots.clone(),
        egress: settings.egress.clone(),
        limits: settings.imap,
    })
}

/// The access token of an OAuth secret: the `access_token` of the token JSON, or the secret itself.
fn access_token(secret: &SecretString) -> SecretString {
    let raw = secret.expose_secret();
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| v.get("access_token")?.as_str().map(str::to_owned))
        .map_or_else(|| SecretString::from(raw.to_owned()), SecretString::from)
}

/// Maps a folder's 0..=100 progress into its share of the whole run (capped at 99: the run reports 100
/// itself when everything is stored). Used by the IMAP, Gmail and Graph folder loops.
pub(crate) struct FolderProgress<'a> {
    inner: &'a dyn ReportProgress,
    base: usize,
    span: usize,
}

impl<'a> FolderProgress<'a> {
    /// The share of folder `index` out of `count`.
    pub(crate) fn new(inner: &'a dyn ReportProgress, index: usize, count: usize) -> Self {
        let count = count.max(1);
        Self {
            inner,
            base: index * 100 / count,
            span: 100 / count,
        }
    }
}

impl ReportProgress for FolderProgress<'_> {
    fn report<'a>(&'a self, percent: u8, message: &'a str) -> BoxFuture<'a, ()> {
        let pct = self.base + self.span * usize::from(percent) / 100;
        self.inner
            .report(u8::try_from(pct.min(99)).unwrap_or(99), message)
    }
}
