//! The Redis cache, against the real Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`),
//! one key prefix per test.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use llm::{Analyzer, CacheStatus, ProviderKind};
use redis::AsyncCommands;
use wiremock::MockServer;

fn outcomes(r: &llm::Report) -> Vec<&'static str> {
    r.attempts.iter().map(|a| a.outcome.as_str()).collect()
}

async fn openai_server(expected: u64) -> MockServer {
    let server = MockServer::start().await;
    on(ProviderKind::OpenAi)
        .respond_with(success(ProviderKind::OpenAi, &answer("quote_request", 0.9)))
        .expect(expected)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn second_call_is_a_hit() {
    let prefix = unique_prefix();
    let mut conn = redis().await;
    let server = openai_server(1).await;
    let a = Analyzer::new(
        config(vec![provider(ProviderKind::OpenAi, &server.uri())], &prefix),
        Some(Box::new(conn.clone())),
    );
    let first = a.analyze_text_report(BODY).await;
    assert_eq!(first.cache, CacheStatus::Miss);
    assert_eq!(outcomes(&first), ["ok"]);
    let second = a.analyze_text_report(BODY).await;
    assert_eq!(second.cache, CacheStatus::Hit);
    assert_eq!(outcomes(&second), ["cache_hit"]);
    assert_eq!(second.attempts[0].provider, "openai:openai-test-model");
    assert_eq!(second.analysis, first.analysis);
    assert_eq!(second.source(), "openai:openai-test-model");
    // the same text with CRLF line ends and trailing spaces is the same entry
    let crlf = BODY.replace('\n', "  \r\n");
    assert_eq!(a.analyze_text_report(&crlf).await.cache, CacheStatus::Hit);
    assert_eq!(keys(&mut conn, &prefix).await.len(), 1);
    server.verify().await;
    cleanup(&mut conn, &prefix).await;
}

#[tokio::test]
async fn another_model_is_another_key() {
    let prefix = unique_prefix();
    let mut conn = redis().await;
    let server = openai_server(2).await;
    let with_model = |model: &str| {
        Analyzer::new(
            config(
                vec![provider(ProviderKind::OpenAi, &server.uri()).with_model(model)],
                &prefix,
            ),
            Some(Box::new(conn.clone())),
        )
    };
    let (a, b) = (with_model("gpt-4o-mini"), with_model("gpt-4.1-mini"));
    assert_eq!(a.analyze_text_report(BODY).await.cache, CacheStatus::Miss);
    assert_eq!(b.analyze_text_report(BODY).await.cache, CacheStatus::Miss);
    assert_eq!(a.analyze_text_report(BODY).await.cache, CacheStatus::Hit);
    assert_eq!(b.analyze_text_report(BODY).await.cache, CacheStatus::Hit);
    assert_eq!(keys(&mut conn, &prefix).await.len(), 2);
    server.verify().await;
    cleanup(&mut conn, &prefix).await;
}

#[test]
fn another_prompt_version_or_task_is_another_key() {
    let parts = llm::cache::KeyParts {
        input: "Bonjour",
        task: llm::Task::Text,
        provider: "openai",
        model: "gpt-4o-mini",
        prompt_version: llm::PROMPT_VERSION,
    };
    let k = llm::cache::key("p:", &parts);
    let older = llm::cache::KeyParts {
        prompt_version: "email-analysis-v0",
        ..parts
    };
    assert_ne!(k, llm::cache::key("p:", &older));
    let message = llm::cache::KeyParts {
        task: llm::Task::Message,
        ..parts
    };
    assert_ne!(k, llm::cache::key("p:", &message));
}

#[tokio::test]
async fn entries_expire_after_the_task_ttl() {
    let prefix = unique_prefix();
    let mut conn = redis().await;
    let server = openai_server(2).await;
    let a = Analyzer::new(
        config(vec![provider(ProviderKind::OpenAi, &server.uri())], &prefix),
        Some(Box::new(conn.clone())),
    );
    a.analyze_text(BODY).await;
    let ks = keys(&mut conn, &prefix).await;
    assert_eq!(ks.len(), 1);
    let ttl: i64 = conn.ttl(&ks[0]).await.unwrap();
    assert!((3_590..=3_600).contains(&ttl), "text ttl {ttl}");
    // a whole message is the expensive task: 7 days
    let raw = b"From: Jean <jean@acme.fr>\r\nSubject: Frais\r\n\r\nQuels sont vos frais ?\r\n";
    a.analyze_message(raw).await;
    let mut ttls = Vec::new();
    for k in keys(&mut conn, &prefix).await {
        ttls.push(conn.ttl::<_, i64>(&k).await.unwrap());
    }
    ttls.sort();
    assert!((3_590..=3_600).contains(&ttls[0]), "{ttls:?}");
    assert!((604_790..=604_800).contains(&ttls[1]), "{ttls:?}");
    cleanup(&mut conn, &prefix).await;

    // LLM_CACHE_TTL_SECS is honoured
    let prefix = unique_prefix();
    let server = openai_server(1).await;
    let env = |k: &str| -> Option<String> {
        match k {
            "LLM_PROVIDERS" => Some("openai".into()),
            "LLM_OPENAI_URL" => Some(server.uri()),
            "LLM_OPENAI_API_KEY" => Some("sk-test".into()),
            "LLM_CACHE_PREFIX" => Some(prefix.clone()),
            "LLM_CACHE_TTL_SECS" => Some("120".into()),
            _ => None,
        }
    };
    let a = from_env_loopback(env).with_redis(conn.clone());
    a.analyze_text(BODY).await;
    let ks = keys(&mut conn, &prefix).await;
    let ttl: i64 = conn.ttl(&ks[0]).await.unwrap();
    assert!((110..=120).contains(&ttl), "ttl {ttl}");
    cleanup(&mut conn, &prefix).await;
}

#[tokio::test]
async fn built_in_results_are_not_cached() {
    let prefix = unique_prefix();
    let mut conn = redis().await;
    let server = MockServer::start().await;
    on(ProviderKind::OpenAi)
        .respond_with(error(ProviderKind::OpenAi, 503))
        .expect(2)
        .mount(&server)
        .await;
    let a = Analyzer::new(
        config(vec![provider(ProviderKind::OpenAi, &server.uri())], &prefix),
        Some(Box::new(conn.clone())),
    );
    for _ in 0..2 {
        let r = a.analyze_text_report(BODY).await;
        assert_eq!(r.source(), "rules");
        assert_eq!(r.cache, CacheStatus::Miss);
    }
    assert!(keys(&mut conn, &prefix).await.is_empty());
    server.verify().await;
}

#[tokio::test]
async fn a_later_providers_cached_answer_is_used_without_calls() {
    let prefix = unique_prefix();
    let mut conn = redis().await;
    let (s1, s2) = (MockServer::start().await, MockServer::start().await);
    on(ProviderKind::Ollama)
        .respond_with(error(ProviderKind::Ollama, 500))
        .expect(1)
        .mount(&s1)
        .await;
    on(ProviderKind::Mistral)
        .respond_with(success(ProviderKind::Mistral, &answer("complaint", 0.8)))
        .expect(1)
        .mount(&s2)
        .await;
    let a = Analyzer::new(
        config(
            vec![
                provider(ProviderKind::Ollama, &s1.uri()),
                provider(ProviderKind::Mistral, &s2.uri()),
            ],
            &prefix,
        ),
        Some(Box::new(conn.clone())),
    );
    assert_eq!(
        outcomes(&a.analyze_text_report(BODY).await),
        ["http_error", "ok"]
    );
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(outcomes(&r), ["cache_hit"]);
    assert_eq!(r.source(), "mistral:mistral-test-model");
    s1.verify().await;
    s2.verify().await;
    cleanup(&mut conn, &prefix).await;
}

#[tokio::test]
async fn redis_outage_does_not_fail_analysis() {
    let prefix = unique_prefix();
    let (conn, relay_task) = cuttable_redis().await;
    let server = openai_server(2).await;
    let a = Analyzer::new(
        config(vec![provider(ProviderKind::OpenAi, &server.uri())], &prefix),
        Some(Box::new(conn)),
    );
    assert_eq!(a.analyze_text_report(BODY).await.cache, CacheStatus::Miss);
    assert_eq!(a.analyze_text_report(BODY).await.cache, CacheStatus::Hit);

    relay_task.abort();
    let _ = relay_task.await;
    let started = Instant::now();
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(r.cache, CacheStatus::Unavailable);
    assert_eq!(r.source(), "openai:openai-test-model");
    assert_eq!(outcomes(&r), ["ok"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    server.verify().await;
    cleanup(&mut redis().await, &prefix).await;
}
