//! The exported metrics (a recorder installed for this test binary only; one test, so no other
//! test's counts mix in).
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

mod common;

use common::*;
use llm::{Analyzer, ProviderKind};
use metrics_util::MetricKind;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use wiremock::MockServer;

/// A metric read back: kind, name, labels, value.
type Sample = (MetricKind, String, Vec<(String, String)>, DebugValue);

/// Value of a metric since the previous snapshot (the recorder resets on read).
fn take(snap: &[Sample], name: &str) -> Vec<String> {
    snap.iter()
        .filter(|(_, n, _, _)| n == name)
        .map(|(_, _, labels, v)| {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let v = match v {
                DebugValue::Counter(c) => c.to_string(),
                DebugValue::Gauge(g) => g.to_string(),
                DebugValue::Histogram(h) => format!("{} samples", h.len()),
            };
            format!("{{{}}} {v}", labels.join(","))
        })
        .filter(|s| !s.ends_with(" 0") && !s.ends_with(" 0 samples"))
        .collect()
}

fn snapshot(s: &Snapshotter) -> Vec<Sample> {
    s.snapshot()
        .into_vec()
        .into_iter()
        .map(|(ck, _, _, v)| {
            let (kind, key) = ck.into_parts();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (kind, key.name().to_owned(), labels, v)
        })
        .collect()
}

#[tokio::test]
async fn cache_and_call_metrics() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let prefix = unique_prefix();
    let mut conn = redis().await;
    let (s1, s2) = (MockServer::start().await, MockServer::start().await);
    on(ProviderKind::Ollama)
        .respond_with(error(ProviderKind::Ollama, 500))
        .mount(&s1)
        .await;
    on(ProviderKind::OpenAi)
        .respond_with(success(ProviderKind::OpenAi, &answer("other", 0.7)))
        .mount(&s2)
        .await;
    let a = Analyzer::new(
        config(
            vec![
                provider(ProviderKind::Ollama, &s1.uri()),
                provider(ProviderKind::OpenAi, &s2.uri()),
            ],
            &prefix,
        ),
        Some(Box::new(conn.clone())),
    );

    a.analyze_text(BODY).await;
    let snap = snapshot(&snapshotter);
    assert_eq!(take(&snap, "llm_cache_misses_total"), ["{} 1"]);
    assert!(take(&snap, "llm_cache_hits_total").is_empty());
    let mut calls = take(&snap, "llm_calls_total");
    calls.sort();
    assert_eq!(
        calls,
        [
            "{provider=ollama,outcome=http_error} 1",
            "{provider=openai,outcome=ok} 1"
        ]
    );
    let mut durations = take(&snap, "llm_call_duration_seconds");
    durations.sort();
    assert_eq!(
        durations,
        ["{provider=ollama} 1 samples", "{provider=openai} 1 samples"]
    );

    a.analyze_text(BODY).await;
    let snap = snapshot(&snapshotter);
    assert_eq!(take(&snap, "llm_cache_hits_total"), ["{} 1"]);
    assert!(take(&snap, "llm_cache_misses_total").is_empty());
    assert!(take(&snap, "llm_calls_total").is_empty());

    cleanup(&mut conn, &prefix).await;
}
