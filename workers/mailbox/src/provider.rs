//! Authorized GETs against a provider's REST API (Gmail, Microsoft Graph), shared by both syncs: the
//! bearer token from [`AccountTokens`], one refresh and retry on a 401, short `Retry-After` waits on
//! 429/503, bodies read with a size cap, and links followed only on the configured API's origin so the
//! bearer token is never sent to another host.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::email_account::EmailAccountId;
use shared::models::interaction;

use super::tokens::AccountTokens;

/// Longest `Retry-After` waited for inside a sync; longer ones fail the attempt (transient).
const MAX_INLINE_WAIT_SECS: u64 = 30;
/// Throttled answers waited out inside one request before giving up to the job's backoff.
const MAX_THROTTLE_WAITS: u32 = 2;

/// A provider API failure, classified where it is understood. Messages hold no token, address or content.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The grant was revoked: the account is marked as needing a new consent (permanent).
    #[error("needs re-consent: {0}")]
    Reconsent(String),
    /// Still unauthorized after a refresh, or forbidden (permanent).
    #[error("the provider refused access: HTTP {status} on {what}")]
    Unauthorized { status: u16, what: &'static str },
    /// Settings that cannot work: provider not configured, unreadable tokens, a link to a foreign host.
    #[error("configuration: {0}")]
    Config(String),
    /// Network trouble (transient).
    #[error("network: {0}")]
    Network(String),
    /// Rate limited (429, or Gmail's 403 `userRateLimitExceeded`): transient.
    #[error("rate limited on {0}")]
    Throttled(&'static str),
    /// An answer not as documented (transient: providers have glitches).
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// Another HTTP status the caller did not expect.
    #[error("HTTP {status} on {what}")]
    Status { status: u16, what: &'static str },
    #[error("database: {0}")]
    Db(#[from] DbError),
}

impl ProviderError {
    /// True when a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) | Self::Protocol(_) | Self::Throttled(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Db(e) => e.is_transient(),
            Self::Reconsent(_) | Self::Unauthorized { .. } | Self::Config(_) => false,
        }
    }
}

/// A body read up to a cap.
pub struct Capped {
    pub bytes: Vec<u8>,
    /// The body was longer than the cap: `bytes` holds its beginning only.
    pub truncated: bool,
    /// `Content-Length`, or the bytes read.
    pub size: u64,
}

/// What a GET gave: a success body, or a status the caller handles itself (404, 410).
pub enum Answer<T> {
    Ok(T),
    Status(StatusCode),
}

/// An API client for one account's sync.
pub struct ApiClient<'a> {
    pub tokens: AccountTokens<'a>,
    base: Url,
    /// A `Prefer` header sent with every request (Graph's page size).
    prefer: Option<&'static str>,
}

impl<'a> ApiClient<'a> {
    /// A client for the API at `base` (`GMAIL_API_URL`, `GRAPH_API_URL`).
    pub fn new(tokens: AccountTokens<'a>, base: Url) -> Self {
        Self {
            tokens,
            base,
            prefer: None,
        }
    }

    /// Sends `Prefer: {prefer}` with every request.
    #[must_use]
    pub fn with_prefer(mut self, prefer: &'static str) -> Self {
        self.prefer = Some(prefer);
        self
    }

    /// `base` with `segments` appended (each percent-encoded as one path segment).
    pub fn url(&self, segments: &[&str]) -> Result<Url, ProviderError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ProviderError::Config("API URL cannot be a base".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Checks that a link given by the server points at the configured API (scheme, host and port).
    pub fn same_origin(&self, link: &str) -> Result<Url, ProviderError> {
        let url = Url::parse(link)
            .map_err(|_| ProviderError::Protocol("a paging link is not a URL".into()))?;
        if url.origin() != self.base.origin() {
            return Err(ProviderError::Config(
                "a paging link points outside the configured API URL; not followed".into(),
            ));
        }
        Ok(url)
    }

    /// GETs JSON. Statuses in `pass` are returned to the caller instead of failing.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &mut self,
        url: &Url,
        what: &'static str,
        pass: &[StatusCode],
    ) -> Result<Answer<T>, ProviderError> {
        let res = match self.send(url, what, pass).await? {
            Answer::Ok(res) => res,
            Answer::Status(s) => return Ok(Answer::Status(s)),
        };
        let body = res
            .bytes()
            .await
            .map_err(|e| ProviderError::Network(format!("{what}: {}", e.without_url())))?;
        // serde_json's message may quote the offending value (an address, a subject): position only.
        serde_json::from_slice(&body).map(Answer::Ok).map_err(|e| {
            ProviderError::Protocol(format!(
                "{what}: not the documented JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }

    /// GETs a body, reading at most `cap` bytes of it.
    pub async fn get_capped(
        &mut self,
        url: &Url,
        what: &'static str,
        cap: u64,
        pass: &[StatusCode],
    ) -> Result<Answer<Capped>, ProviderError> {
        let res = match self.send(url, what, pass).await? {
            Answer::Ok(res) => res,
            Answer::Status(s) => return Ok(Answer::Status(s)),
        };
        let length = res.content_length();
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let mut bytes = Vec::new();
        let mut truncated = false;
        let mut res = res;
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| ProviderError::Network(format!("{what}: {}", e.without_url())))?
        {
            if bytes.len() + chunk.len() > cap {
                let room = cap - bytes.len();
                bytes.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        let size = length.unwrap_or(bytes.len() as u64);
        Ok(Answer::Ok(Capped {
            bytes,
            truncated,
            size,
        }))
    }

    async fn send(
        &mut self,
        url: &Url,
        what: &'static str,
        pass: &[StatusCode],
    ) -> Result<Answer<reqwest::Response>, ProviderError> {
        let mut refreshed = false;
        let mut waits = 0;
        loop {
            let token = self.tokens.access_token().await?;
            let http = self.tokens.http();
            let mut req = http.client().get(url.clone()).bearer_auth(&token);
            if let Some(prefer) = self.prefer {
                req = req.header("prefer", prefer);
            }
            let req = req
                .build()
                .map_err(|e| ProviderError::Network(format!("{what}: {}", e.without_url())))?;
            let res = http.execute(req).await.map_err(|e| {
                if e.is_refusal() {
                    ProviderError::Config(format!("{what}: {e}"))
                } else {
                    ProviderError::Network(format!("{what}: {e}"))
                }
            })?;
            let status = res.status();
            if status.is_success() {
                return Ok(Answer::Ok(res));
            }
            if pass.contains(&status) {
                return Ok(Answer::Status(status));
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                // Revoked or expired early: one refresh, then the same request again.
                refreshed = true;
                self.tokens.refresh().await?;
                continue;
            }
            if status == StatusCode::FORBIDDEN {
                if is_rate_limit(res).await {
                    return Err(ProviderError::Throttled(what));
                }
                return Err(ProviderError::Unauthorized { status: 403, what });
            }
            if status == StatusCode::UNAUTHORIZED {
                return Err(ProviderError::Unauthorized {
                    status: status.as_u16(),
                    what,
                });
            }
            if matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ) && waits < MAX_THROTTLE_WAITS
                && let Some(secs) = retry_after(&res).filter(|s| *s <= MAX_INLINE_WAIT_SECS)
            {
                waits += 1;
                tokio::time::sleep(Duration::from_secs(secs)).await;
                continue;
            }
            return Err(ProviderError::Status {
                status: status.as_u16(),
                what,
            });
        }
    }
}

/// Gmail answers some rate limits with 403 and a reason (`rateLimitExceeded`, `userRateLimitExceeded`,
/// `dailyLimitExceeded`) in its error body; those are worth retrying, unlike a real refusal.
async fn is_rate_limit(res: reqwest::Response) -> bool {
    let Ok(body) = res.bytes().await else {
        return false;
    };
    let text = String::from_utf8_lossy(&body[..body.len().min(4_096)]).to_lowercase();
    text.contains("ratelimitexceeded") || text.contains("dailylimitexceeded")
}

/// `Retry-After` in seconds (the delay form; an HTTP date is left to the job's backoff).
fn retry_after(res: &reqwest::Response) -> Option<u64> {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Drops the ids the account already stored (listed again after a flag change or a resync: not
/// downloaded twice). Returns the ids to fetch and how many were dropped.
pub async fn drop_known(
    pool: &PgPool,
    account: EmailAccountId,
    mut ids: Vec<String>,
) -> Result<(Vec<String>, usize), ProviderError> {
    let probe = ids.clone();
    let known = run_blocking(pool, move |c| {
        interaction::known_provider_ids(c, account, &probe)
    })
    .await?;
    let before = ids.len();
    ids.retain(|id| !known.contains(id));
    let dropped = before - ids.len();
    Ok((ids, dropped))
}
