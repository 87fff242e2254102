//! The cascade against mock servers speaking each provider's real format (no Redis).
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

mod common;

use std::time::Duration;

use common::*;
use intel::{IntentLabel, Source};
use llm::{Analyzer, AttemptOutcome, CacheStatus, ProviderKind};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header};
use wiremock::{MockServer, ResponseTemplate};

fn outcomes(r: &llm::Report) -> Vec<&'static str> {
    r.attempts.iter().map(|a| a.outcome.as_str()).collect()
}

#[tokio::test]
async fn no_provider_is_the_built_in_analyser() {
    let a = Analyzer::from_env(|_| None).unwrap();
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(r.analysis, intel::analyze_text(BODY));
    assert_eq!(r.source(), "rules");
    assert_eq!(r.cache, CacheStatus::Disabled);
    assert!(r.attempts.is_empty());
    let raw = b"From: a@b.fr\r\nSubject: Devis\r\n\r\nQuel est le tarif ?\r\n";
    assert_eq!(a.analyze_message(raw).await, intel::analyze_message(raw));
}

#[tokio::test]
async fn ollama_answers_in_its_format() {
    let server = MockServer::start().await;
    on(ProviderKind::Ollama)
        .and(body_partial_json(json!({
            "model": "ollama-test-model", "format": "json", "stream": false,
            "messages": [{"role": "system"}, {"role": "user"}]
        })))
        .respond_with(success(
            ProviderKind::Ollama,
            &answer("quote_request", 0.93),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let a = Analyzer::new(
        config(vec![provider(ProviderKind::Ollama, &server.uri())], "x:"),
        None,
    );
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(r.analysis.intent.label, IntentLabel::QuoteRequest);
    assert_eq!(r.analysis.intent.confidence, 0.93);
    assert_eq!(r.source(), "ollama:ollama-test-model");
    assert_eq!(
        r.analysis.signature.source,
        Source::Provider("ollama:ollama-test-model".into())
    );
    assert_eq!(r.analysis.signature.name.as_deref(), Some("Claire Martin"));
    assert_eq!(r.analysis.signature.phones, vec!["+33612345678"]);
    // what the provider does not give is kept from the built-in analyser
    assert_eq!(r.analysis.keywords, intel::analyze_text(BODY).keywords);
    assert_eq!(outcomes(&r), ["ok"]);
    assert_eq!(r.cache, CacheStatus::Disabled);
}

#[tokio::test]
async fn chat_completions_providers_answer_in_their_format() {
    for kind in [ProviderKind::OpenAi, ProviderKind::Mistral] {
        let server = MockServer::start().await;
        let format = if kind == ProviderKind::OpenAi {
            json!({"response_format": {"type": "json_object"}, "max_completion_tokens": 1024})
        } else {
            json!({"response_format": {"type": "json_object"}, "max_tokens": 1024, "temperature": 0.0})
        };
        on(kind)
            .and(header(
                "authorization",
                format!("Bearer sk-{kind}-SECRETKEY").as_str(),
            ))
            .and(body_partial_json(format))
            .and(body_partial_json(
                json!({"model": format!("{kind}-test-model"),
                "messages": [{"role": "system"}, {"role": "user"}]}),
            ))
            .respond_with(success(kind, &answer("meeting_request", 0.8)))
            .expect(1)
            .mount(&server)
            .await;
        let a = Analyzer::new(config(vec![provider(kind, &server.uri())], "x:"), None);
        let r = a.analyze_text_report(BODY).await;
        assert_eq!(
            r.analysis.intent.label,
            IntentLabel::MeetingRequest,
            "{kind}"
        );
        assert_eq!(r.source(), format!("{kind}:{kind}-test-model"));
        assert_eq!(outcomes(&r), ["ok"]);
    }
}

#[tokio::test]
async fn anthropic_answers_in_its_format() {
    let server = MockServer::start().await;
    on(ProviderKind::Anthropic)
        .and(header("x-api-key", "sk-anthropic-SECRETKEY"))
        .and(header("anthropic-version", "2023-06-01"))
        .and(body_partial_json(json!({
            "model": "anthropic-test-model", "max_tokens": 1024,
            "messages": [{"role": "user"}]
        })))
        .respond_with(success(
            ProviderKind::Anthropic,
            &format!("```json\n{}\n```", answer("complaint", 0.7)),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let a = Analyzer::new(
        config(vec![provider(ProviderKind::Anthropic, &server.uri())], "x:"),
        None,
    );
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(r.analysis.intent.label, IntentLabel::Complaint);
    assert_eq!(r.source(), "anthropic:anthropic-test-model");
}

/// Two providers: the first one fails with `first`, the second answers.
async fn first_fails(first: ResponseTemplate, kind: ProviderKind) -> (llm::Report, Analyzer) {
    let s1 = MockServer::start().await;
    let s2 = MockServer::start().await;
    on(kind).respond_with(first).mount(&s1).await;
    on(ProviderKind::Anthropic)
        .respond_with(success(
            ProviderKind::Anthropic,
            &answer("information_request", 0.9),
        ))
        .mount(&s2)
        .await;
    let mut c = config(
        vec![
            provider(kind, &s1.uri()),
            provider(ProviderKind::Anthropic, &s2.uri()),
        ],
        "x:",
    );
    c.timeout = Duration::from_millis(300);
    let a = Analyzer::new(c, None);
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(r.source(), "anthropic:anthropic-test-model");
    assert_eq!(r.analysis.intent.label, IntentLabel::InformationRequest);
    (r, a)
}

#[tokio::test]
async fn server_error_moves_to_the_next_provider() {
    let (r, _) = first_fails(error(ProviderKind::OpenAi, 500), ProviderKind::OpenAi).await;
    assert_eq!(outcomes(&r), ["http_error", "ok"]);
    let (r, _) = first_fails(error(ProviderKind::Anthropic, 529), ProviderKind::Anthropic).await;
    assert_eq!(outcomes(&r), ["http_error", "ok"]);
    let (r, _) = first_fails(error(ProviderKind::Ollama, 404), ProviderKind::Ollama).await;
    assert_eq!(outcomes(&r), ["http_error", "ok"]);
}

#[tokio::test]
async fn rate_limit_moves_on_and_honours_retry_after() {
    let s1 = MockServer::start().await;
    let s2 = MockServer::start().await;
    on(ProviderKind::Mistral)
        .respond_with(error(ProviderKind::Mistral, 429).insert_header("retry-after", "30"))
        .expect(1)
        .mount(&s1)
        .await;
    on(ProviderKind::OpenAi)
        .respond_with(success(ProviderKind::OpenAi, &answer("unsubscribe", 0.99)))
        .expect(2)
        .mount(&s2)
        .await;
    let a = Analyzer::new(
        config(
            vec![
                provider(ProviderKind::Mistral, &s1.uri()),
                provider(ProviderKind::OpenAi, &s2.uri()),
            ],
            "x:",
        ),
        None,
    );
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(outcomes(&r), ["rate_limited", "ok"]);
    match &r.attempts[0].outcome {
        AttemptOutcome::Failed(llm::providers::CallError::RateLimited { retry_after }) => {
            assert_eq!(*retry_after, Some(Duration::from_secs(30)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.analysis.intent.label, IntentLabel::Unsubscribe);
    // within Retry-After the limited provider is not called again (s1 expects one request)
    let r = a
        .analyze_text_report("Merci de me retirer de vos listes.")
        .await;
    assert_eq!(outcomes(&r), ["cooldown", "ok"]);
}

#[tokio::test]
async fn timeout_moves_to_the_next_provider() {
    let slow =
        success(ProviderKind::Ollama, &answer("other", 0.5)).set_delay(Duration::from_secs(3));
    let (r, _) = first_fails(slow, ProviderKind::Ollama).await;
    assert_eq!(outcomes(&r), ["timeout", "ok"]);
    // the configured 300 ms, not the server's 3 s (the built-in analyser's first run is not timed)
    let waited = r.attempts[0].duration;
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
}

#[tokio::test]
async fn invalid_replies_move_to_the_next_provider() {
    let bad = [
        "Sure! Here is the analysis: quote_request".to_owned(),
        answer("purchase_order", 0.9),
        answer("quote_request", 7.0),
        r#"{"intent": {"label": "other", "confidence": "high"}, "signature": {}}"#.to_owned(),
        r#"{"intent": {"label": "other", "confidence": 0.5}, "signature": {"phones": "0142000000"}}"#
            .to_owned(),
        r#"{"label": "other"}"#.to_owned(),
    ];
    for content in &bad {
        let (r, _) =
            first_fails(success(ProviderKind::OpenAi, content), ProviderKind::OpenAi).await;
        assert_eq!(outcomes(&r), ["invalid_reply", "ok"], "{content}");
    }
    // a 200 whose body is not the provider's format at all
    let not_api = ResponseTemplate::new(200).set_body_string("<html>proxy login</html>");
    let (r, _) = first_fails(not_api, ProviderKind::Mistral).await;
    assert_eq!(outcomes(&r), ["invalid_reply", "ok"]);
    // a reply cut at the token limit
    let cut = ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"intent\": {"},
                     "finish_reason": "length"}]}));
    let (r, _) = first_fails(cut, ProviderKind::OpenAi).await;
    assert_eq!(outcomes(&r), ["invalid_reply", "ok"]);
}

#[tokio::test]
async fn all_failing_ends_with_the_built_in_analyser() {
    let (s1, s2, s3) = (
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
    );
    on(ProviderKind::Ollama)
        .respond_with(error(ProviderKind::Ollama, 500))
        .mount(&s1)
        .await;
    on(ProviderKind::Mistral)
        .respond_with(error(ProviderKind::Mistral, 429))
        .mount(&s2)
        .await;
    on(ProviderKind::OpenAi)
        .respond_with(success(ProviderKind::OpenAi, "{}"))
        .mount(&s3)
        .await;
    // nothing listens there: a transport error
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let a = Analyzer::new(
        config(
            vec![
                provider(ProviderKind::Ollama, &s1.uri()),
                provider(ProviderKind::Mistral, &s2.uri()),
                provider(ProviderKind::OpenAi, &s3.uri()),
                provider(ProviderKind::Anthropic, &closed),
            ],
            "x:",
        ),
        None,
    );
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(
        outcomes(&r),
        [
            "http_error",
            "rate_limited",
            "invalid_reply",
            "transport_error"
        ]
    );
    assert_eq!(r.source(), "rules");
    assert_eq!(r.analysis, intel::analyze_text(BODY));
    assert_eq!(r.analysis.signature.source, Source::Rules);
}

#[tokio::test]
async fn configured_order_is_respected() {
    let (s1, s2) = (MockServer::start().await, MockServer::start().await);
    on(ProviderKind::Anthropic)
        .respond_with(success(ProviderKind::Anthropic, &answer("interested", 0.6)))
        .expect(1)
        .mount(&s1)
        .await;
    on(ProviderKind::Ollama)
        .respond_with(success(ProviderKind::Ollama, &answer("other", 0.6)))
        .expect(0)
        .mount(&s2)
        .await;
    let env = |k: &str| -> Option<String> {
        match k {
            "LLM_PROVIDERS" => Some("anthropic,ollama".into()),
            "LLM_ANTHROPIC_URL" => Some(s1.uri()),
            "LLM_ANTHROPIC_API_KEY" => Some("sk-ant-SECRETKEY".into()),
            "LLM_OLLAMA_URL" => Some(s2.uri()),
            _ => None,
        }
    };
    let a = from_env_loopback(env);
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(r.source(), "anthropic:claude-haiku-4-5");
    assert_eq!(r.analysis.intent.label, IntentLabel::Interested);
    assert!(!format!("{a:?}").contains("SECRETKEY"));
}

#[tokio::test]
async fn a_message_sends_subject_sender_and_own_text_only() {
    let server = MockServer::start().await;
    on(ProviderKind::OpenAi)
        .respond_with(success(ProviderKind::OpenAi, &answer("quote_request", 0.9)))
        .expect(1)
        .mount(&server)
        .await;
    let a = Analyzer::new(
        config(vec![provider(ProviderKind::OpenAi, &server.uri())], "x:"),
        None,
    );
    let raw = "From: Jean Dupont <jean@acme.fr>\r\nSubject: Tarifs\r\n\r\nBonjour, quels sont vos frais ?\r\n\r\nLe 2 mars, Paul a écrit :\r\n> QUOTED-HISTORY\r\n";
    let r = a.analyze_message_report(raw.as_bytes()).await;
    assert_eq!(r.task, llm::Task::Message);
    let requests = server.received_requests().await.unwrap();
    let body: serde_json::Value = requests[0].body_json().unwrap();
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("Subject: Tarifs"), "{user}");
    assert!(user.contains("From: Jean Dupont <jean@acme.fr>"), "{user}");
    assert!(user.contains("quels sont vos frais"), "{user}");
    assert!(!user.contains("QUOTED-HISTORY"), "{user}");
}

#[tokio::test]
async fn the_strict_egress_policy_keeps_providers_off_private_addresses() {
    // The platform's default (no EGRESS_ALLOW_CIDRS): a provider on loopback is never called.
    let server = MockServer::start().await;
    on(ProviderKind::Ollama)
        .respond_with(success(
            ProviderKind::Ollama,
            &answer("meeting_request", 0.8),
        ))
        .expect(0)
        .mount(&server)
        .await;
    let mut c = config(vec![provider(ProviderKind::Ollama, &server.uri())], "x:");
    c.egress = egress::EgressPolicy::default();
    let a = Analyzer::new(c, None);
    let r = a.analyze_text_report(BODY).await;
    assert_eq!(r.source(), "rules");
    assert_eq!(outcomes(&r), ["transport_error"]);
    let AttemptOutcome::Failed(e) = &r.attempts[0].outcome else {
        panic!("{:?}", r.attempts)
    };
    assert!(e.to_string().contains("not allowed"), "{e}");
    assert!(!e.to_string().contains("127.0.0.1"), "{e}");
}
