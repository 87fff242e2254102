//! Campaign send-rate benchmark (issue 17), run by `ops/bench/campaigns`: the real `workers` binary sends
//! a campaign to a local SMTP sink, first with the `smtp` bucket lifted (messages per second), then with
//! `smtp=100/min` (the observed rate and its deviation from 100/min). Prints one JSON object.
//!
//! Knobs: BENCH_CAMPAIGN_N (3000, the unlimited run), BENCH_CAMPAIGN_LIMITED_N (151, the limited run:
//! 150 intervals of 0.6 s), CRM_WORKERS_BIN (the binary to run).
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark: a panic with its message is the report"
)]

use std::time::{Duration, Instant};

use crm_queue::test_utils::Env;
use shared::jobs::payloads::campaigns::Tick;
use shared::models::user::Role;
use shared::test_utils::SmtpSink;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends a campaign of `n` through one workers process with `extra` settings; returns the time of each
/// message's arrival at the sink, in seconds from the first.
async fn run(n: usize, extra: &[(&str, &str)]) -> Vec<f64> {
    let env = Env::new().await;
    let sink = SmtpSink::start().await;
    let owner = env.db.user("owner@crm.test", Role::User);
    crm_campaigns::fixtures::seed_campaign(&mut env.db.conn(), owner, n, true).unwrap();
    let url = sink.url();
    let mut vars = vec![
        ("SMTP_URL", url.as_str()),
        ("SMTP_ALLOW_PLAINTEXT", "true"),
        ("SMTP_FROM", "CRM <campagnes@crm.test>"),
        ("SMTP_POOL_SIZE", "16"),
        ("API_PUBLIC_URL", "https://crm.example.fr"),
        ("WORKER_CONCURRENCY", "outbound=32"),
        ("RUST_LOG", "error"),
    ];
    vars.extend_from_slice(extra);
    let _worker = env.spawn_workers(&vars);
    env.enqueue(&Tick {}).await;
    let deadline = Instant::now() + Duration::from_secs(1_800);
    let mut arrivals: Vec<f64> = Vec::with_capacity(n);
    let mut start: Option<Instant> = None;
    let mut seen = 0;
    while seen < n {
        assert!(Instant::now() < deadline, "only {seen} of {n} sent");
        let got = sink.received().len();
        if got > seen {
            let now = Instant::now();
            let t0 = *start.get_or_insert(now);
            // Polled every millisecond: each arrival is timed to within that.
            arrivals.extend(std::iter::repeat_n(
                now.duration_since(t0).as_secs_f64(),
                got - seen,
            ));
            seen = got;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    arrivals
}

#[tokio::main]
async fn main() {
    let n = knob("BENCH_CAMPAIGN_N", 3_000);
    let unlimited = run(n, &[("RATE_LIMIT_JOBS", "campaigns.send=")]).await;
    let span = unlimited.last().copied().unwrap_or_default();
    let per_sec = (n - 1) as f64 / span.max(1e-9);

    let limited_n = knob("BENCH_CAMPAIGN_LIMITED_N", 151);
    let limited = run(limited_n, &[("RATE_LIMIT_BUCKETS", "smtp=100/min")]).await;
    let span = limited.last().copied().unwrap_or_default();
    let per_min = (limited_n - 1) as f64 * 60.0 / span.max(1e-9);
    let deviation = (per_min - 100.0) / 100.0 * 100.0;
    let report = serde_json::json!({
        "unlimited": { "messages": n, "seconds": unlimited.last(), "messages_per_second": per_sec },
        "limited_100_per_min": {
            "messages": limited_n,
            "seconds": span,
            "observed_per_minute": per_min,
            "deviation_percent": deviation,
        },
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
