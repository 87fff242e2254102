//! Campaign mail with the workers binary: the minute tick hands the sends to jobs, every job goes through
//! the global `smtp` bucket whatever the number of worker processes, and a worker killed with SIGKILL in
//! the middle of a 2,000-recipient campaign leaves every recipient with exactly one message.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use shared::jobs::payloads::campaigns::Tick;
use shared::models::user::Role;
use shared::test_utils::SmtpSink;

fn seed(env: &common::Env, n: usize, tracking: bool) {
    let owner = env.db.user("owner@crm.test", Role::User);
    crm_campaigns::fixtures::seed_campaign(&mut env.db.conn(), owner, n, tracking).unwrap();
}

fn count(env: &common::Env, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(&mut env.db.conn())
        .unwrap()
        .n
}

fn mail_vars(sink: &SmtpSink) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_URL", sink.url()),
        ("SMTP_ALLOW_PLAINTEXT", "true".into()),
        ("SMTP_FROM", "CRM <campagnes@crm.test>".into()),
        ("API_PUBLIC_URL", "https://crm.example.fr".into()),
        ("CAMPAIGN_SEND_LEASE_SECS", "5".into()),
        // One key for every process: they must agree on address hashes.
        ("RGPD_HASH_KEY", "11".repeat(32)),
    ]
}

/// Runs the tick (the scheduler is off in tests) every `every` until `done` holds or `timeout` passes.
async fn tick_until(
    env: &common::Env,
    every: Duration,
    timeout: Duration,
    done: impl Fn() -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        env.enqueue(&Tick {}).await;
        if done() {
            return true;
        }
        tokio::time::sleep(every).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_campaign_leaves_every_recipient_with_one_message() {
    const N: usize = 2_000;
    let env = common::Env::new().await;
    let sink = SmtpSink::start().await;
    seed(&env, N, true);
    let vars = mail_vars(&sink);
    let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // No rate limit: the kill must land while sends are in flight.
    extra.push(("RATE_LIMIT_JOBS", "campaigns.send="));
    extra.push(("WORKER_CONCURRENCY", "outbound=16"));
    let mut first = env.spawn_workers(&extra);
    env.enqueue(&Tick {}).await;
    // The kill is timed on the database's count, not on the sink's: a kill triggered by the relay
    // accepting a message would land, by construction, just after a 250 and before its commit.
    let started = common::eventually(Duration::from_secs(60), || async {
        count(
            &env,
            "SELECT count(*) AS n FROM campaign_sends WHERE status = 'sent'",
        ) >= (N / 5) as i64
    })
    .await;
    assert!(started, "the first worker sent too little");
    first.kill9();
    let at_kill = sink.received().len();
    assert!(
        at_kill < N,
        "the kill must come mid-campaign ({at_kill} sent)"
    );

    let _second = env.spawn_workers(&extra);
    let finished = tick_until(
        &env,
        Duration::from_secs(2),
        Duration::from_secs(180),
        || {
            count(
                &env,
                "SELECT count(*) AS n FROM campaigns WHERE status = 'completed'",
            ) == 1
        },
    )
    .await;
    assert!(
        finished,
        "campaign not completed: {} of {N} sent",
        count(
            &env,
            "SELECT count(*) AS n FROM campaign_sends WHERE status = 'sent'"
        )
    );

    let got = sink.received();
    // Message-IDs each recipient received.
    let mut per_rcpt: HashMap<String, Vec<String>> = HashMap::new();
    let mut position: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, m) in got.iter().enumerate() {
        for r in &m.to {
            position.entry(r.clone()).or_default().push(i);
        }
        let parsed = mail_parser::MessageParser::default()
            .parse(m.data.as_bytes())
            .unwrap();
        let mid = parsed.message_id().unwrap().to_owned();
        for r in &m.to {
            per_rcpt.entry(r.clone()).or_default().push(mid.clone());
        }
    }
    assert_eq!(per_rcpt.len(), N, "every recipient got the campaign");
    let mut copies = 0;
    for (rcpt, mids) in &per_rcpt {
        let first = &mids[0];
        assert!(
            mids.iter().all(|m| m == first),
            "{rcpt} received two different messages: {mids:?}"
        );
        copies += mids.len() - 1;
        if mids.len() > 1 {
            eprintln!(
                "copy of {rcpt} at {:?} (kill after {at_kill})",
                position[rcpt]
            );
        }
    }
    // A copy can only come from a worker killed between the relay's 250 and its commit: at most one per
    // send in flight (16), and it carries the first copy's Message-ID.
    assert!(copies <= 16, "{copies} extra copies");
    eprintln!(
        "kill -9 after {at_kill} messages: {N} recipients, {} messages received, {copies} resent with the same Message-ID",
        got.len()
    );
    assert_eq!(
        count(
            &env,
            "SELECT count(*) AS n FROM campaign_sends WHERE status = 'sent'"
        ),
        N as i64
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smtp_bucket_paces_every_worker_process_together() {
    const N: usize = 120;
    let env = common::Env::new().await;
    let sink = SmtpSink::start().await;
    seed(&env, N, false);
    let vars = mail_vars(&sink);
    let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    extra.push(("RATE_LIMIT_BUCKETS", "smtp=40/s"));
    let _a = env.spawn_workers(&extra);
    let _b = env.spawn_workers(&extra);
    env.enqueue(&Tick {}).await;
    let first = common::eventually(Duration::from_secs(30), || async {
        !sink.received().is_empty()
    })
    .await;
    assert!(first);
    let start = Instant::now();
    let all = common::eventually(Duration::from_secs(60), || async {
        sink.received().len() >= N
    })
    .await;
    assert!(all, "{} of {N} sent", sink.received().len());
    let elapsed = start.elapsed().as_secs_f64();
    // 119 more sends at 40/s across both processes take about 3 s; each process alone allowed 40/s would
    // take half that.
    assert!(
        elapsed >= 2.5,
        "{N} sends in {elapsed:.2} s: faster than one 40/s bucket allows"
    );
    assert_eq!(sink.received().len(), N, "nothing sent twice");
}
