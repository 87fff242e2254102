//! One call to one provider, in its own request/response format, and the classification of what
//! went wrong. Errors never carry message content or keys.

mod anthropic;
mod chat_completions;
mod ollama;

use std::time::Duration;

use reqwest::{Response, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::config::{ProviderConfig, ProviderKind};
use crate::prompt::{self, ReplyError, Task};

/// Largest `Retry-After` honoured, so a provider cannot switch itself off for hours.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(300);

/// Why a call did not give a usable answer; each case sends the cascade to the next provider.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("timed out")]
    Timeout,
    #[error("transport error: {0}")]
    Transport(String),
    #[error("rate limited (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    #[error("HTTP {0}")]
    Status(StatusCode),
    #[error("invalid reply: {0}")]
    InvalidReply(String),
}

impl CallError {
    /// Metrics label of the outcome.
    pub fn outcome(&self) -> &'static str {
        match self {
            CallError::Timeout => "timeout",
            CallError::Transport(_) => "transport_error",
            CallError::RateLimited { .. } => "rate_limited",
            CallError::Status(_) => "http_error",
            CallError::InvalidReply(_) => "invalid_reply",
        }
    }

    fn from_egress(e: egress::EgressError) -> CallError {
        match e {
            egress::EgressError::Http(e) => CallError::from_reqwest(e),
            egress::EgressError::BodyTooLarge { limit } => {
                CallError::InvalidReply(format!("response body larger than {limit} bytes"))
            }
            // The policy's refusal (and its cause chain, without addresses), in the reqwest chain too.
            other => CallError::Transport(other.to_string()),
        }
    }

    fn from_reqwest(e: reqwest::Error) -> CallError {
        if e.is_timeout() {
            CallError::Timeout
        } else if e.is_decode() {
            CallError::InvalidReply("response body is not the provider's JSON format".into())
        } else {
            // the cause chain (connection refused, TLS, DNS...) without the URL
            let e = e.without_url();
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            CallError::Transport(text)
        }
    }
}

impl From<ReplyError> for CallError {
    fn from(e: ReplyError) -> Self {
        CallError::InvalidReply(e.to_string())
    }
}

/// Asks `provider` to analyse `input`; returns its answer, validated.
pub async fn call(
    http: &egress::EgressHttp,
    provider: &ProviderConfig,
    task: Task,
    input: &str,
    timeout: Duration,
) -> Result<intel::ProviderResult, CallError> {
    let user = prompt::user_message(task, input);
    let client = http.client();
    let request = match provider.kind {
        ProviderKind::Ollama => ollama::request(client, provider, &user),
        ProviderKind::Mistral | ProviderKind::OpenAi => {
            chat_completions::request(client, provider, &user)
        }
        ProviderKind::Anthropic => anthropic::request(client, provider, &user),
    };
    // one deadline over connection, headers and body
    let text = tokio::time::timeout(timeout, async {
        let request = request
            .timeout(timeout)
            .build()
            .map_err(CallError::from_reqwest)?;
        let response = http
            .execute(request)
            .await
            .map_err(CallError::from_egress)?;
        let response = check_status(response)?;
        match provider.kind {
            ProviderKind::Ollama => ollama::reply_text(response).await,
            ProviderKind::Mistral | ProviderKind::OpenAi => {
                chat_completions::reply_text(response).await
            }
            ProviderKind::Anthropic => anthropic::reply_text(response).await,
        }
    })
    .await
    .map_err(|_| CallError::Timeout)??;
    Ok(prompt::parse_reply(&text, &provider.source_name())?)
}

fn check_status(response: Response) -> Result<Response, CallError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(CallError::RateLimited {
            retry_after: retry_after(response.headers()),
        });
    }
    Err(CallError::Status(status))
}

/// `Retry-After` in seconds (the HTTP-date form is rare on these APIs and ignored), capped.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_COOLDOWN))
}

/// Largest provider answer read (a reply of `MAX_TOKENS` tokens is a few KiB).
const MAX_REPLY_BYTES: usize = 1_048_576;

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, CallError> {
    let body = egress::read_body_capped(response, MAX_REPLY_BYTES)
        .await
        .map_err(CallError::from_egress)?;
    serde_json::from_slice(&body).map_err(|_| {
        CallError::InvalidReply("response body is not the provider's JSON format".into())
    })
}

/// Every provider is asked for deterministic output.
const TEMPERATURE: f64 = 0.0;
/// Room for the JSON answer (a signature with a few phones fits in ~300 tokens).
const MAX_TOKENS: u32 = 1_024;
