//! Anthropic's Messages API: `POST /v1/messages` with `x-api-key` and `anthropic-version`, the
//! instructions in the top-level `system`; the answer is the text blocks of `content`.

use reqwest::{RequestBuilder, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;

use super::{CallError, MAX_TOKENS, TEMPERATURE, json};
use crate::config::ProviderConfig;
use crate::prompt::SYSTEM_PROMPT;

/// API version sent in `anthropic-version`.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

pub(super) fn request(
    client: &reqwest::Client,
    provider: &ProviderConfig,
    user: &str,
) -> RequestBuilder {
    let body = json!({
        "model": provider.model,
        "max_tokens": MAX_TOKENS,
        "temperature": TEMPERATURE,
        "system": format!("{SYSTEM_PROMPT}\n\nReply with the JSON object only, no prose, no code fence."),
        "messages": [{"role": "user", "content": user}],
    });
    let mut rb = client
        .post(format!("{}/v1/messages", provider.base_url))
        .header("anthropic-version", ANTHROPIC_VERSION)
        .json(&body);
    if let Some(key) = &provider.api_key {
        rb = rb.header("x-api-key", key.expose_secret());
    }
    rb
}

#[derive(Deserialize)]
struct MessageResponse {
    content: Vec<Block>,
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

pub(super) async fn reply_text(response: Response) -> Result<String, CallError> {
    let m: MessageResponse = json(response).await?;
    if m.stop_reason.as_deref() == Some("max_tokens") {
        return Err(CallError::InvalidReply(
            "reply cut at the token limit".into(),
        ));
    }
    let text: String = m
        .content
        .into_iter()
        .filter(|b| b.kind == "text")
        .filter_map(|b| b.text)
        .collect();
    if text.is_empty() {
        return Err(CallError::InvalidReply("no text block in the reply".into()));
    }
    Ok(text)
}
