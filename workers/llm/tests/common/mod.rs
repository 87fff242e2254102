//! Helpers shared by the integration tests: provider replies in each API's real format, configs
//! pointing at mock servers, and a Redis namespace per test.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers shared by several test binaries, each using a part"
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use llm::{CacheConfig, LlmConfig, ProviderConfig, ProviderKind};
use redis::aio::ConnectionManager;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

/// A reply of the expected shape.
pub fn answer(label: &str, confidence: f64) -> String {
    json!({
        "intent": {"label": label, "confidence": confidence},
        "signature": {
            "name": "Claire Martin", "title": "Directrice commerciale", "company": "Acme Gestion",
            "phones": ["06 12 34 56 78"], "emails": ["claire.martin@acme-gestion.fr"],
            "urls": ["https://www.acme-gestion.fr"], "linkedin": null, "address": null
        }
    })
    .to_string()
}

pub const BODY: &str = "Bonjour,\n\nPourriez-vous m'envoyer le DIC du fonds ?\n\nCordialement,\nJean Dupont\n06 11 22 33 44";

/// The API path of a provider.
pub fn api_path(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Ollama => "/api/chat",
        ProviderKind::Mistral | ProviderKind::OpenAi => "/v1/chat/completions",
        ProviderKind::Anthropic => "/v1/messages",
    }
}

/// `POST` on the provider's API path.
pub fn on(kind: ProviderKind) -> MockBuilder {
    Mock::given(method("POST")).and(path(api_path(kind)))
}

/// A successful response in the provider's own format whose text is `content`.
pub fn success(kind: ProviderKind, content: &str) -> ResponseTemplate {
    let body: Value = match kind {
        ProviderKind::Ollama => json!({
            "model": "llama3.2", "created_at": "2026-01-01T00:00:00.000000Z",
            "message": {"role": "assistant", "content": content},
            "done_reason": "stop", "done": true, "total_duration": 1_000_000,
            "prompt_eval_count": 400, "eval_count": 80
        }),
        ProviderKind::OpenAi => json!({
            "id": "chatcmpl-abc123", "object": "chat.completion", "created": 1_767_225_600,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null},
                          "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 400, "completion_tokens": 80, "total_tokens": 480}
        }),
        ProviderKind::Mistral => json!({
            "id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion",
            "created": 1_767_225_600, "model": "mistral-small-latest",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "tool_calls": null},
                          "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 400, "completion_tokens": 80, "total_tokens": 480}
        }),
        ProviderKind::Anthropic => json!({
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
            "model": "claude-haiku-4-5", "content": [{"type": "text", "text": content}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 400, "output_tokens": 80}
        }),
    };
    ResponseTemplate::new(200).set_body_json(body)
}

/// An error response in the provider's own format.
pub fn error(kind: ProviderKind, status: u16) -> ResponseTemplate {
    let body: Value = match kind {
        ProviderKind::Ollama => json!({"error": "model runner has unexpectedly stopped"}),
        ProviderKind::OpenAi => json!({"error": {
            "message": if status == 429 { "Rate limit reached for gpt-4o-mini" } else { "The server had an error" },
            "type": if status == 429 { "requests" } else { "server_error" },
            "param": null, "code": if status == 429 { "rate_limit_exceeded" } else { "server_error" }}}),
        ProviderKind::Mistral => {
            json!({"object": "error", "message": "Requests rate limit exceeded",
            "type": "rate_limited", "param": null, "code": "1300"})
        }
        ProviderKind::Anthropic => json!({"type": "error", "error": {
            "type": if status == 429 { "rate_limit_error" } else { "api_error" },
            "message": "Number of requests has exceeded your rate limit"}}),
    };
    ResponseTemplate::new(status).set_body_json(body)
}

/// A provider at `url` with a model name and, for hosted APIs, a key.
pub fn provider(kind: ProviderKind, url: &str) -> ProviderConfig {
    let p = ProviderConfig::new(kind)
        .with_url(url)
        .with_model(format!("{kind}-test-model"));
    if kind.needs_key() {
        p.with_key(format!("sk-{kind}-SECRETKEY"))
    } else {
        p
    }
}

pub fn config(providers: Vec<ProviderConfig>, prefix: &str) -> LlmConfig {
    LlmConfig {
        providers,
        timeout: Duration::from_millis(1_000),
        cache: CacheConfig {
            prefix: prefix.to_owned(),
            ..CacheConfig::default()
        },
        egress: loopback_egress(),
    }
}

/// The egress policy of tests: the mock providers listen on 127.0.0.1.
pub fn loopback_egress() -> egress::EgressPolicy {
    egress::EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap()
}

/// The analyser `env` configures, allowed to reach the loopback mock providers.
pub fn from_env_loopback<F>(env: F) -> llm::Analyzer
where
    F: Fn(&str) -> Option<String>,
{
    let mut config = LlmConfig::from_env(env).unwrap();
    config.egress = loopback_egress();
    llm::Analyzer::new(config, None)
}

/// A key prefix no other test (or run) uses.
pub fn unique_prefix() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "test:crm-llm:{}:{nanos}:{}:",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

pub async fn redis() -> ConnectionManager {
    let client = redis::Client::open(redis_url()).expect("REDIS_URL");
    ConnectionManager::new(client)
        .await
        .expect("Redis at REDIS_URL (default redis://127.0.0.1:6379)")
}

/// Keys under `prefix`.
pub async fn keys(conn: &mut ConnectionManager, prefix: &str) -> Vec<String> {
    redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(conn)
        .await
        .unwrap()
}

/// Deletes the test's keys.
pub async fn cleanup(conn: &mut ConnectionManager, prefix: &str) {
    let ks = keys(conn, prefix).await;
    if !ks.is_empty() {
        let _: () = redis::cmd("DEL").arg(ks).query_async(conn).await.unwrap();
    }
}

/// A TCP relay to Redis that the test can cut.
pub async fn relay() -> (String, tokio::task::JoinHandle<()>) {
    let mut url = reqwest::Url::parse(&redis_url()).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(6379));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        // dropping the set (when this task is aborted) cuts every relayed connection
        let mut conns = JoinSet::new();
        while let Ok((mut inbound, _)) = listener.accept().await {
            let target = target.clone();
            conns.spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(port)).unwrap();
    (url.to_string(), task)
}

/// A connection manager through a relay to Redis, and the relay's task (abort it to cut Redis).
pub async fn cuttable_redis() -> (ConnectionManager, tokio::task::JoinHandle<()>) {
    let (url, task) = relay().await;
    let conn = ConnectionManager::new_with_config(
        redis::Client::open(url).unwrap(),
        redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(Duration::from_millis(200))),
    )
    .await
    .unwrap();
    (conn, task)
}
