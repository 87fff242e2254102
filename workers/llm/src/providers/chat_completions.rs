//! The chat-completions format shared by OpenAI and Mistral: `POST /v1/chat/completions` with a
//! bearer key and `"response_format": {"type": "json_object"}`; the answer is in
//! `choices[0].message.content`.

use reqwest::{RequestBuilder, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;

use super::{CallError, MAX_TOKENS, TEMPERATURE, json};
use crate::config::{ProviderConfig, ProviderKind};
use crate::prompt::SYSTEM_PROMPT;

pub(super) fn request(
    client: &reqwest::Client,
    provider: &ProviderConfig,
    user: &str,
) -> RequestBuilder {
    let mut body = json!({
        "model": provider.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user},
        ],
        "response_format": {"type": "json_object"},
    });
    if provider.kind == ProviderKind::OpenAi {
        // OpenAI's reasoning models refuse `max_tokens` and any temperature but the default
        body["max_completion_tokens"] = json!(MAX_TOKENS);
    } else {
        body["max_tokens"] = json!(MAX_TOKENS);
        body["temperature"] = json!(TEMPERATURE);
    }
    let mut rb = client
        .post(format!("{}/v1/chat/completions", provider.base_url))
        .json(&body);
    if let Some(key) = &provider.api_key {
        rb = rb.bearer_auth(key.expose_secret());
    }
    rb
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

pub(super) async fn reply_text(response: Response) -> Result<String, CallError> {
    let c: Completion = json(response).await?;
    let choice = c
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| CallError::InvalidReply("no choice in the completion".into()))?;
    // a reply cut by the token limit is truncated JSON
    if choice.finish_reason.as_deref() == Some("length") {
        return Err(CallError::InvalidReply(
            "reply cut at the token limit".into(),
        ));
    }
    choice
        .message
        .content
        .ok_or_else(|| CallError::InvalidReply("completion without content".into()))
}
