//! Logs and debug output carry neither message content, replies nor API keys.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use llm::{Analyzer, ProviderKind};
use wiremock::{MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn failures_are_logged_without_content_or_keys() {
    let logs = Buffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // the test runtime is single-threaded: the default subscriber covers the whole analysis
    let _guard = tracing::subscriber::set_default(subscriber);

    let (s1, s2, s3) = (
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
    );
    on(ProviderKind::Mistral)
        .respond_with(error(ProviderKind::Mistral, 429).insert_header("retry-after", "1"))
        .mount(&s1)
        .await;
    // the invalid reply quotes the message, as a chatty model would
    on(ProviderKind::OpenAi)
        .respond_with(success(
            ProviderKind::OpenAi,
            "The email from SECRET-SENDER says SECRET-BODY",
        ))
        .mount(&s2)
        .await;
    on(ProviderKind::Anthropic)
        .respond_with(ResponseTemplate::new(401).set_body_string("invalid x-api-key"))
        .mount(&s3)
        .await;
    // a Redis that goes away: cache warnings too
    let (conn, relay_task) = cuttable_redis().await;
    relay_task.abort();
    let _ = relay_task.await;
    let a = Analyzer::new(
        config(
            vec![
                provider(ProviderKind::Mistral, &s1.uri()),
                provider(ProviderKind::OpenAi, &s2.uri()),
                provider(ProviderKind::Anthropic, &s3.uri()),
            ],
            &unique_prefix(),
        ),
        Some(Box::new(conn)),
    );
    let text = "Bonjour, SECRET-BODY.\n\nCordialement,\nSECRET-SENDER\nsecret.sender@example.fr";
    let r = a.analyze_text_report(text).await;
    assert_eq!(r.source(), "rules");

    let out = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(out.contains("llm call failed"), "{out}");
    assert!(out.contains("llm cache unavailable"), "{out}");
    for needle in ["SECRET", "secret.sender", "SECRETKEY", "sk-"] {
        assert!(!out.contains(needle), "{needle} in logs:\n{out}");
    }
    let debug = format!("{a:?} {:?}", r.attempts);
    for needle in ["SECRETKEY", "SECRET-BODY"] {
        assert!(!debug.contains(needle), "{needle} in {debug}");
    }
}
