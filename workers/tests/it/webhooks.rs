//! Webhooks end to end with the workers binary: a change in the CRM reaches a receiver as a signed
//! message through the relay and `webhooks.deliver`; each receiver host has its own rate-limit bucket
//! (one host's pace never holds another's back), and a 429 pauses only that host's bucket for its
//! `Retry-After`.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use crm_webhooks::sign::SigningKey;
use diesel::prelude::*;
use diesel::sql_types::Text;
use secrecy::SecretString;
use shared::crypto::SecretBox;
use shared::models::webhook::{self as wh, NewWebhookEndpoint};
use shared::schema::{webhook_attempts, webhook_deliveries};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: [u8; 32] = [9; 32];

fn key_b64() -> String {
    base64::engine::general_purpose::STANDARD.encode(KEY)
}

fn endpoint(env: &common::Env, url: &str, types: &[&str]) -> (wh::WebhookEndpointId, String) {
    let secret = SigningKey::generate();
    let sealed = SecretBox::from_key_bytes(&KEY)
        .unwrap()
        .encrypt_str(&SecretString::from(secret.clone()));
    let e = wh::create(
        &mut env.db.conn(),
        &NewWebhookEndpoint {
            url: url.to_owned(),
            description: String::new(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            secret_enc: sealed,
            active: true,
            created_by: None,
        },
    )
    .unwrap();
    (e.id, secret)
}

fn organisations(env: &common::Env, n: usize) {
    for i in 0..n {
        diesel::sql_query("INSERT INTO organisations (name, org_type) VALUES ($1, 'issuer')")
            .bind::<Text, _>(format!("Org {i}"))
            .execute(&mut env.db.conn())
            .unwrap();
    }
}

/// (delivery state, time of each attempt) per delivery of endpoint `id`.
fn attempts_of(env: &common::Env, id: wh::WebhookEndpointId) -> Vec<(String, Vec<DateTime<Utc>>)> {
    let deliveries: Vec<(i64, String)> = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(id.0))
        .select((webhook_deliveries::id, webhook_deliveries::state))
        .order(webhook_deliveries::id)
        .load(&mut env.db.conn())
        .unwrap();
    deliveries
        .into_iter()
        .map(|(d, state)| {
            let at: Vec<DateTime<Utc>> = webhook_attempts::table
                .filter(webhook_attempts::delivery_id.eq(d))
                .select(webhook_attempts::at)
                .order(webhook_attempts::id)
                .load(&mut env.db.conn())
                .unwrap();
            (state, at)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crm_change_reaches_the_receiver_signed() {
    let env = common::Env::new().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let (id, secret) = endpoint(
        &env,
        &format!("{}/in", server.uri()),
        &["organisation.created"],
    );
    let _w = env.spawn_workers(&[("MAIL_ENCRYPTION_KEY", &key_b64())]);
    organisations(&env, 1);
    let done = common::eventually(Duration::from_secs(30), || async {
        attempts_of(&env, id)
            .first()
            .is_some_and(|(s, _)| s == "succeeded")
    })
    .await;
    assert!(done, "{:?}", attempts_of(&env, id));
    let req = &server.received_requests().await.unwrap()[0];
    let h = |n: &str| req.headers.get(n).unwrap().to_str().unwrap().to_owned();
    let ts: i64 = h("webhook-timestamp").parse().unwrap();
    let key = SigningKey::parse(&secret).unwrap();
    assert!(key.verify(&h("webhook-signature"), &h("webhook-id"), ts, &req.body));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["type"], "organisation.created");
    assert!(body["data"]["id"].as_i64().is_some());
    assert!(
        !String::from_utf8_lossy(&req.body).contains("Org 0"),
        "thin events carry no names"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_host_has_its_own_bucket_and_a_429_pauses_only_that_host() {
    let env = common::Env::new().await;
    let slow = MockServer::start().await;
    let fast = MockServer::start().await;
    // The slow host refuses the first request with Retry-After: 2, then accepts.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "2"))
        .up_to_n_times(1)
        .mount(&slow)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&slow)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&fast)
        .await;
    // Two hosts on one machine: `localhost` and `127.0.0.1` name different buckets.
    let slow_url = slow.uri().replace("127.0.0.1", "localhost");
    let (slow_id, _) = endpoint(&env, &slow_url, &["organisation.created"]);
    let (fast_id, _) = endpoint(&env, &fast.uri(), &["organisation.created"]);
    let _w = env.spawn_workers(&[
        ("MAIL_ENCRYPTION_KEY", &key_b64()),
        ("RATE_LIMIT_BUCKETS", "webhooks=4/s"),
    ]);
    organisations(&env, 6);
    let all_done = |id| {
        let env = &env;
        async move {
            let a = attempts_of(env, id);
            a.len() == 6 && a.iter().all(|(s, _)| s == "succeeded")
        }
    };
    assert!(common::eventually(Duration::from_secs(40), || all_done(fast_id)).await);
    assert!(common::eventually(Duration::from_secs(40), || all_done(slow_id)).await);

    let firsts = |id| -> Vec<DateTime<Utc>> {
        let mut v: Vec<DateTime<Utc>> = attempts_of(&env, id)
            .into_iter()
            .flat_map(|(_, a)| a)
            .collect();
        v.sort();
        v
    };
    let fast_at = firsts(fast_id);
    let slow_at = firsts(slow_id);
    // 4 a second, evenly spaced: six attempts span at least 5 intervals of 250 ms.
    let span = |v: &[DateTime<Utc>]| (v[v.len() - 1] - v[0]).num_milliseconds();
    assert!(
        span(&fast_at) >= 1_150,
        "fast host span {} ms",
        span(&fast_at)
    );
    // The slow host's 429 paused its own bucket for 2 s (7 attempts: the refused one and six successes)...
    assert_eq!(slow_at.len(), 7);
    let gap = (slow_at[1] - slow_at[0]).num_milliseconds();
    assert!(gap >= 1_900, "after the 429 the host waited {gap} ms");
    // ...while the fast host, its own bucket, finished meanwhile.
    assert!(
        fast_at[fast_at.len() - 1] < slow_at[1],
        "fast {fast_at:?} slow {slow_at:?}"
    );
    // The buckets are the hosts'.
    let buckets: Vec<String> = env
        .queue
        .buckets()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert!(
        buckets.contains(&"webhooks:localhost".to_owned()),
        "{buckets:?}"
    );
    assert!(
        buckets.contains(&"webhooks:127.0.0.1".to_owned()),
        "{buckets:?}"
    );
}
