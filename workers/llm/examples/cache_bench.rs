//! Latency of an analysis answered from the cache, over loopback Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`). A mock OpenAI server answers once to fill the cache.
//!
//! `cargo run --release -p crm-llm --example cache_bench [-- HITS]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use llm::{Analyzer, CacheConfig, CacheStatus, LlmConfig, ProviderConfig, ProviderKind};
use redis::aio::ConnectionManager;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BODY: &str = "Bonjour Madame,\n\nSuite à notre échange de mardi, pourriez-vous me transmettre la grille \
de rétrocessions et les frais de gestion de la part I du fonds ? Nous étudions son référencement \
pour notre comité de sélection du mois prochain.\n\nJe vous remercie par avance.\n\nBien cordialement,\n\n\
Jean Dupont\nDirecteur de la gestion privée\nCabinet Dupont Patrimoine\n12 rue de la Paix, 75002 Paris\n\
Tél. : 01 42 00 00 00 | Mob. : 06 12 34 56 78\nwww.dupont-patrimoine.fr";

/// Sample at quantile `q` (0 to 1), from an HDR histogram of nanoseconds (3 significant figures).
fn percentile(hist: &Histogram<u64>, q: f64) -> Duration {
    Duration::from_nanos(hist.value_at_quantile(q))
}

fn show(name: &str, samples: Vec<Duration>) {
    let mut hist = Histogram::<u64>::new(3).expect("3 significant figures are supported");
    for s in &samples {
        hist.record(u64::try_from(s.as_nanos()).unwrap_or(u64::MAX))
            .expect("a latency fits the histogram");
    }
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<28} n={:<6} p50={:>8.1?} p99={:>8.1?} max={:>8.1?} mean={:>8.1?}",
        samples.len(),
        percentile(&hist, 0.50),
        percentile(&hist, 0.99),
        samples.iter().max().unwrap(),
        mean
    );
}

#[tokio::main]
async fn main() {
    let hits: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let mut conn = ConnectionManager::new(redis::Client::open(redis_url).unwrap())
        .await
        .expect("Redis at REDIS_URL");

    let server = MockServer::start().await;
    let content = json!({"intent": {"label": "quote_request", "confidence": 0.92},
        "signature": {"name": "Jean Dupont", "title": "Directeur de la gestion privée",
        "company": "Cabinet Dupont Patrimoine", "phones": ["01 42 00 00 00", "06 12 34 56 78"],
        "emails": [], "urls": ["www.dupont-patrimoine.fr"], "linkedin": null,
        "address": "12 rue de la Paix, 75002 Paris"}})
    .to_string();
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}]})))
        .expect(1)
        .mount(&server)
        .await;

    let prefix = format!("bench:crm-llm:{}:", std::process::id());
    let config = LlmConfig {
        providers: vec![
            ProviderConfig::new(ProviderKind::OpenAi)
                .with_url(server.uri())
                .with_key("sk-bench"),
        ],
        timeout: Duration::from_secs(5),
        cache: CacheConfig {
            prefix: prefix.clone(),
            ..CacheConfig::default()
        },
        // The mock provider listens on loopback.
        egress: egress::EgressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()]),
    };
    let analyzer = Analyzer::new(config, Some(Box::new(conn.clone())));
    let first = analyzer.analyze_text_report(BODY).await;
    assert_eq!(first.cache, CacheStatus::Miss);

    // warm-up, then timed hits
    for _ in 0..200 {
        analyzer.analyze_text(BODY).await;
    }
    let cache = llm::cache::Cache::new(conn.clone(), analyzer.config().cache.clone());
    let input = llm::input::from_text(BODY);
    let keys = cache.keys(llm::Task::Text, &input, &analyzer.config().providers);
    // interleaved rounds, so that a burst of load on the machine does not land on one series only
    let (mut full, mut lookup, mut builtin) = (Vec::new(), Vec::new(), Vec::new());
    let rounds = 10;
    for _ in 0..rounds {
        for _ in 0..hits / rounds {
            let t = Instant::now();
            let r = analyzer.analyze_text_report(BODY).await;
            full.push(t.elapsed());
            assert_eq!(r.cache, CacheStatus::Hit);
        }
        for _ in 0..hits / rounds {
            let t = Instant::now();
            let (status, _) = cache.lookup(&keys).await;
            lookup.push(t.elapsed());
            assert_eq!(status, CacheStatus::Hit);
        }
        for _ in 0..hits / rounds {
            let t = Instant::now();
            std::hint::black_box(intel::analyze_text(BODY));
            builtin.push(t.elapsed());
        }
    }

    println!(
        "crm-llm cache_bench: {hits} cache hits, {}-byte body, Redis on loopback",
        BODY.len()
    );
    show("analyze_text, cache hit", full);
    show("  Redis lookup alone", lookup);
    show("  built-in analyser alone", builtin);

    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}
