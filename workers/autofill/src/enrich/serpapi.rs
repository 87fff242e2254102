//! The SerpAPI Google search endpoint (`GET {base}/search.json?engine=google&q=…&api_key=…`), through the
//! platform's egress policy, with a capped body and time. The API key travels in the query string as
//! SerpAPI requires; no URL is ever logged or put in an error.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// Largest answer read (a Google results page as JSON is tens of kB).
const MAX_BODY: usize = 2 * 1024 * 1024;
/// When SerpAPI answers 429 without `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Why a search gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// 429: SerpAPI's throughput limit or the plan's searches used up; try again after this long.
    #[error("SerpAPI rate limit (retry after {}s)", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    /// 401/403: a wrong or revoked key. Retrying cannot help.
    #[error("SerpAPI refused the API key (HTTP {0})")]
    Unauthorized(u16),
    /// Another HTTP error; SerpAPI's own message when it gave one (it never holds our data).
    #[error("SerpAPI answered HTTP {status}: {message}")]
    Provider { status: u16, message: String },
    /// Not JSON, or too large.
    #[error("SerpAPI answer unreadable: {0}")]
    Malformed(String),
    #[error("SerpAPI unreachable: {0}")]
    Network(#[from] egress::EgressError),
}

impl SearchError {
    /// True when retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Network(_) => true,
            Self::Provider { status, .. } => *status >= 500,
            Self::Unauthorized(_) | Self::Malformed(_) => false,
        }
    }
}

/// A SerpAPI client.
pub struct SerpApi {
    http: egress::EgressHttp,
    base: String,
    key: SecretString,
}

impl SerpApi {
    /// A client of `base` (e.g. `https://serpapi.com`) under `policy`: 15 s per search, 5 s to connect.
    pub fn new(
        policy: &egress::EgressPolicy,
        base: &str,
        key: SecretString,
    ) -> Result<Self, egress::EgressError> {
        let http = policy.http_client(egress::HttpLimits {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
        })?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    /// One Google search in French results for France (`hl=fr`, `gl=fr`); the whole JSON answer.
    pub async fn search(&self, query: &str) -> Result<Value, SearchError> {
        let mut url = url::Url::parse(&format!("{}/search.json", self.base))
            .map_err(|_| SearchError::Malformed("bad base URL".into()))?;
        url.query_pairs_mut()
            .append_pair("engine", "google")
            .append_pair("q", query)
            .append_pair("hl", "fr")
            .append_pair("gl", "fr")
            .append_pair("api_key", self.key.expose_secret());
        let request = self
            .http
            .client()
            .get(url)
            .header("accept", "application/json")
            .build()
            .map_err(|_| SearchError::Malformed("request could not be built".into()))?;
        let response = self.http.execute(request).await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(3_600)));
        let body = egress::read_body_capped(response, MAX_BODY).await?;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        let message = json
            .as_ref()
            .and_then(|j| j.get("error"))
            .and_then(Value::as_str)
            .map(|m| m.chars().take(200).collect::<String>())
            .unwrap_or_default();
        match status {
            200 => json.ok_or_else(|| SearchError::Malformed("not JSON".into())),
            429 => Err(SearchError::RateLimited {
                retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
            }),
            401 | 403 => Err(SearchError::Unauthorized(status)),
            _ => Err(SearchError::Provider { status, message }),
        }
    }
}
