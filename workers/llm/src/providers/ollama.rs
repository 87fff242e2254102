//! Ollama's local API: `POST /api/chat` with `"format": "json"` and `"stream": false`; the answer
//! is in `message.content`.

use reqwest::{RequestBuilder, Response};
use serde::Deserialize;
use serde_json::json;

use super::{CallError, TEMPERATURE, json};
use crate::config::ProviderConfig;
use crate::prompt::SYSTEM_PROMPT;

pub(super) fn request(
    client: &reqwest::Client,
    provider: &ProviderConfig,
    user: &str,
) -> RequestBuilder {
    let body = json!({
        "model": provider.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user},
        ],
        "format": "json",
        "stream": false,
        "options": {"temperature": TEMPERATURE},
    });
    client
        .post(format!("{}/api/chat", provider.base_url))
        .json(&body)
}

#[derive(Deserialize)]
struct ChatResponse {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    content: String,
}

pub(super) async fn reply_text(response: Response) -> Result<String, CallError> {
    let r: ChatResponse = json(response).await?;
    Ok(r.message.content)
}
