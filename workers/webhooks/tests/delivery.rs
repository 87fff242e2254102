//! One delivery attempt against a wiremock receiver and a real Postgres: what is sent (Standard Webhooks
//! headers, a signature the receiver verifies with its secret, both signatures during a rotation), and
//! what each answer does to the delivery, its log and the endpoint.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::time::Duration;

use chrono::Utc;
use crm_queue::runtime::JobError;
use crm_webhooks::WebhookEnv;
use crm_webhooks::deliver::{self, Attempt};
use crm_webhooks::sign::SigningKey;
use diesel::prelude::*;
use secrecy::SecretString;
use shared::config::{EnvSource, WebhookConfig};
use shared::crypto::SecretBox;
use shared::models::webhook::{self as wh, NewDelivery, NewWebhookEndpoint, WebhookDelivery};
use shared::test_utils::TestDb;
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn secrets() -> SecretBox {
    SecretBox::from_key_bytes(&[7u8; 32]).unwrap()
}

fn env(db: &TestDb, allow_loopback: bool) -> WebhookEnv {
    let policy = if allow_loopback {
        egress::EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap()
    } else {
        egress::EgressPolicy::default()
    };
    WebhookEnv {
        pool: db.pool().clone(),
        secrets: Some(secrets()),
        http: WebhookEnv::http_client(&policy).unwrap(),
        config: WebhookConfig::from_env(&EnvSource::from_pairs(&[])).unwrap(),
    }
}

/// An endpoint at `url` with a fresh secret, and one pending delivery of an `organisation.updated` event.
fn endpoint_with_delivery(db: &TestDb, url: &str) -> (String, WebhookDelivery) {
    let secret = SigningKey::generate();
    let mut c = db.conn();
    let endpoint = wh::create(
        &mut c,
        &NewWebhookEndpoint {
            url: url.to_owned(),
            description: String::new(),
            event_types: vec!["organisation.updated".into()],
            secret_enc: secrets().encrypt_str(&SecretString::from(secret.clone())),
            active: true,
            created_by: None,
        },
    )
    .unwrap();
    let delivery = add_delivery(&mut c, endpoint.id);
    (secret, delivery)
}

fn add_delivery(c: &mut PgConnection, endpoint: wh::WebhookEndpointId) -> WebhookDelivery {
    let event_id =
        shared::models::event::emit(c, "organisation.updated", &serde_json::json!({"id": 5}))
            .unwrap();
    wh::insert_deliveries(
        c,
        &[NewDelivery {
            endpoint_id: endpoint,
            event_id: Some(event_id),
            message_id: crm_webhooks::message::new_message_id(),
            event_type: "organisation.updated".into(),
            payload: crm_webhooks::message::body(
                "organisation.updated",
                Some(event_id),
                Utc::now(),
                &serde_json::json!({"id": 5, "changed": ["pipeline_stage"]}),
            ),
            next_attempt_at: Some(Utc::now()),
        }],
    )
    .unwrap()
    .pop()
    .unwrap()
}

fn first(max: u32) -> Attempt {
    Attempt {
        number: 1,
        max,
        manual: false,
    }
}

fn reload(db: &TestDb, d: &WebhookDelivery) -> (WebhookDelivery, Vec<wh::WebhookAttempt>) {
    let mut c = db.conn();
    (
        wh::find_delivery(&mut c, d.id).unwrap().unwrap(),
        wh::attempts_of(&mut c, d.id).unwrap(),
    )
}

#[tokio::test]
async fn a_delivery_is_signed_as_the_standard_says_and_logged() {
    let db = TestDb::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .and(header_exists("webhook-id"))
        .and(header_exists("webhook-timestamp"))
        .and(header_exists("webhook-signature"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let (secret, delivery) = endpoint_with_delivery(&db, &format!("{}/hook", server.uri()));
    let out = deliver::run(&env(&db, true), delivery.id, first(8))
        .await
        .unwrap();
    assert_eq!(out["delivered"], true);

    let received = &server.received_requests().await.unwrap()[0];
    let h = |n: &str| {
        received
            .headers
            .get(n)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(h("webhook-id"), delivery.message_id);
    assert_eq!(h("content-type"), "application/json");
    let ts: i64 = h("webhook-timestamp").parse().unwrap();
    assert!((Utc::now().timestamp() - ts).abs() < 60);
    let key = SigningKey::parse(&secret).unwrap();
    assert!(key.verify(
        &h("webhook-signature"),
        &h("webhook-id"),
        ts,
        &received.body
    ));
    let body: serde_json::Value = serde_json::from_slice(&received.body).unwrap();
    assert_eq!(body["type"], "organisation.updated");
    assert_eq!(body["data"]["id"], 5);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));

    let (d, log) = reload(&db, &delivery);
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("succeeded", 1, Some(204))
    );
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, Some(204));
    // A second job for the same delivery (a duplicate) sends nothing more.
    let again = deliver::run(&env(&db, true), delivery.id, first(8))
        .await
        .unwrap();
    assert!(again["skipped"].is_string());
}

#[tokio::test]
async fn a_failure_is_retried_on_the_schedule_and_the_last_attempt_fails_the_delivery() {
    let db = TestDb::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("database is down"))
        .mount(&server)
        .await;
    let (_, delivery) = endpoint_with_delivery(&db, &server.uri());
    let err = deliver::run(&env(&db, true), delivery.id, first(8))
        .await
        .unwrap_err();
    match err {
        JobError::Transient { retry_in, .. } => {
            let d = retry_in.unwrap();
            assert!(
                d >= Duration::from_secs(5) && d <= Duration::from_millis(5_500),
                "{d:?}"
            );
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
    let third = Attempt {
        number: 3,
        max: 8,
        manual: false,
    };
    match deliver::run(&env(&db, true), delivery.id, third)
        .await
        .unwrap_err()
    {
        JobError::Transient { retry_in, .. } => {
            let d = retry_in.unwrap();
            assert!(
                d >= Duration::from_secs(1_800) && d <= Duration::from_secs(1_980),
                "{d:?}"
            );
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
    let (d, log) = reload(&db, &delivery);
    assert_eq!(d.state, "pending");
    assert!(d.next_attempt_at.unwrap() > Utc::now() + chrono::Duration::minutes(29));
    assert_eq!(log[0].status, Some(500));
    assert_eq!(log[0].response_excerpt.as_deref(), Some("database is down"));
    assert_eq!(log[0].error.as_deref(), Some("the receiver answered 500"));

    let last = Attempt {
        number: 8,
        max: 8,
        manual: false,
    };
    let out = deliver::run(&env(&db, true), delivery.id, last)
        .await
        .unwrap();
    assert_eq!(out["delivered"], false);
    let (d, log) = reload(&db, &delivery);
    assert_eq!((d.state.as_str(), log.len()), ("failed", 3));
    // The endpoint is failing since the first failure, but not for five days: still on.
    let e = wh::find(&mut db.conn(), d.endpoint_id).unwrap().unwrap();
    assert!(e.active && e.failing_since.is_some());
}

#[tokio::test]
async fn gone_turns_the_endpoint_off_fails_its_other_deliveries_and_says_so() {
    let db = TestDb::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&server)
        .await;
    let (_, delivery) = endpoint_with_delivery(&db, &server.uri());
    let other = add_delivery(&mut db.conn(), delivery.endpoint_id);
    let out = deliver::run(&env(&db, true), delivery.id, first(8))
        .await
        .unwrap();
    assert_eq!(out["endpoint_disabled"], "gone");
    let e = wh::find(&mut db.conn(), delivery.endpoint_id)
        .unwrap()
        .unwrap();
    assert!(!e.active);
    assert_eq!(e.disabled_reason.as_deref(), Some("gone"));
    assert_eq!(reload(&db, &other).0.state, "failed");
    use shared::schema::events;
    let kinds: Vec<String> = events::table
        .select(events::event_type)
        .load(&mut db.conn())
        .unwrap();
    assert!(
        kinds.contains(&"webhook.endpoint.disabled".to_owned()),
        "{kinds:?}"
    );
    // A scheduled job for the other delivery does not call the receiver again.
    let before = server.received_requests().await.unwrap().len();
    deliver::run(&env(&db, true), other.id, first(8))
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn overload_answers_throttle_with_retry_after_and_redirects_are_failures() {
    let db = TestDb::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "42"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/moved"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/elsewhere"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    for status in [502u16, 504] {
        Mock::given(method("POST"))
            .and(path(format!("/s{status}")))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
    }
    let (_, busy) = endpoint_with_delivery(&db, &format!("{}/busy", server.uri()));
    match deliver::run(&env(&db, true), busy.id, first(8))
        .await
        .unwrap_err()
    {
        JobError::Throttled { retry_after, .. } => assert_eq!(retry_after, Duration::from_secs(42)),
        other => panic!("expected throttled, got {other:?}"),
    }
    assert_eq!(reload(&db, &busy).0.state, "pending");
    for status in [502u16, 504] {
        let (_, d) = endpoint_with_delivery(&db, &format!("{}/s{status}", server.uri()));
        let err = deliver::run(&env(&db, true), d.id, first(8))
            .await
            .unwrap_err();
        // No Retry-After: the schedule's next step.
        assert!(
            matches!(err, JobError::Throttled { retry_after, .. } if retry_after >= Duration::from_secs(5)),
            "{status}"
        );
    }
    let (_, moved) = endpoint_with_delivery(&db, &format!("{}/moved", server.uri()));
    let err = deliver::run(&env(&db, true), moved.id, first(8))
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::Transient { .. }));
    assert_eq!(reload(&db, &moved).1[0].status, Some(307));
}

#[tokio::test]
async fn a_private_receiver_is_refused_unless_allow_listed() {
    let db = TestDb::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let (_, d) = endpoint_with_delivery(&db, &server.uri());
    let err = deliver::run(&env(&db, false), d.id, first(8))
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::Transient { .. }));
    let (_, log) = reload(&db, &d);
    assert_eq!(log[0].status, None);
    assert!(
        log[0].error.as_deref().unwrap().contains("not allowed"),
        "{:?}",
        log[0].error
    );
}

#[tokio::test]
async fn after_a_rotation_both_secrets_sign_until_the_overlap_ends() {
    let db = TestDb::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let (old, d1) = endpoint_with_delivery(&db, &server.uri());
    let new = SigningKey::generate();
    let sealed = secrets().encrypt_str(&SecretString::from(new.clone()));
    wh::rotate_secret(
        &mut db.conn(),
        d1.endpoint_id,
        &sealed,
        Utc::now() + chrono::Duration::hours(1),
    )
    .unwrap();
    deliver::run(&env(&db, true), d1.id, first(8))
        .await
        .unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    let sig = req
        .headers
        .get("webhook-signature")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let ts: i64 = req
        .headers
        .get("webhook-timestamp")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
    for secret in [&old, &new] {
        assert!(
            SigningKey::parse(secret)
                .unwrap()
                .verify(&sig, &d1.message_id, ts, &req.body)
        );
    }
    // Overlap over: the new secret alone.
    wh::rotate_secret(
        &mut db.conn(),
        d1.endpoint_id,
        &sealed,
        Utc::now() - chrono::Duration::seconds(1),
    )
    .unwrap();
    let d2 = add_delivery(&mut db.conn(), d1.endpoint_id);
    deliver::run(&env(&db, true), d2.id, first(8))
        .await
        .unwrap();
    let req = &server.received_requests().await.unwrap()[1];
    let sig = req
        .headers
        .get("webhook-signature")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(sig.split(' ').count(), 1);
}

#[tokio::test]
async fn an_endpoint_failing_for_days_is_turned_off_by_the_attempt_or_the_sweep() {
    let db = TestDb::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let (_, d) = endpoint_with_delivery(&db, &server.uri());
    use shared::schema::webhook_endpoints as e;
    let six_days_ago = Utc::now() - chrono::Duration::days(6);
    diesel::update(e::table.find(d.endpoint_id))
        .set(e::failing_since.eq(Some(six_days_ago)))
        .execute(&mut db.conn())
        .unwrap();
    let out = deliver::run(&env(&db, true), d.id, first(8)).await.unwrap();
    assert_eq!(out["endpoint_disabled"], "failing");
    assert_eq!(reload(&db, &d).0.state, "failed");

    // The sweep does it for an endpoint with no attempt running.
    let (_, d2) = endpoint_with_delivery(&db, &server.uri());
    diesel::update(e::table.find(d2.endpoint_id))
        .set(e::failing_since.eq(Some(six_days_ago)))
        .execute(&mut db.conn())
        .unwrap();
    let redis = crm_queue::test_utils::TestRedis::new();
    let queue = redis.queue().await;
    let report = crm_webhooks::sweep::run(&env(&db, true), &queue)
        .await
        .unwrap();
    assert_eq!(report.endpoints_disabled, 1);
    assert!(
        !wh::find(&mut db.conn(), d2.endpoint_id)
            .unwrap()
            .unwrap()
            .active
    );
}

#[tokio::test]
async fn the_sweep_hands_lost_deliveries_to_a_job_once() {
    let db = TestDb::new();
    let (_, d) = endpoint_with_delivery(&db, "https://hooks.example.com/in");
    use shared::schema::webhook_deliveries as wd;
    diesel::update(wd::table.find(d.id))
        .set(wd::next_attempt_at.eq(Some(Utc::now() - chrono::Duration::minutes(10))))
        .execute(&mut db.conn())
        .unwrap();
    let redis = crm_queue::test_utils::TestRedis::new();
    let queue = redis.queue().await;
    let r1 = crm_webhooks::sweep::run(&env(&db, true), &queue)
        .await
        .unwrap();
    assert_eq!(r1.requeued, 1);
    let job = reload(&db, &d).0.job_id.unwrap();
    let record = queue.get(&job.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(record.job, "webhooks.deliver");
    assert_eq!(record.payload["host"], "hooks.example.com");
    // Swept again before the job ran: the same job (idempotency key), not a second one.
    crm_webhooks::sweep::run(&env(&db, true), &queue)
        .await
        .unwrap();
    assert_eq!(reload(&db, &d).0.job_id.unwrap(), job);
}
