//! The API in sentinel mode: it finds the master through the sentinels (`REDIS_URL` names no server) and
//! keeps enqueueing on the new master after a failover.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, parts};
use crm_api::build_state;
use crm_queue::test_utils::TestRedis;
use shared::models::user::Role;
use shared::test_utils::sentinel::query;
use shared::test_utils::{SentinelGroup, TestDb};

/// `POST /api/v1/jobs` of a `diag.echo`; status and body.
macro_rules! enqueue_echo {
    ($svc:expr, $bearer:expr) => {{
        let req = TestRequest::post()
            .uri("/api/v1/jobs")
            .insert_header(("Authorization", $bearer.to_owned()))
            .set_json(serde_json::json!({ "job": "diag.echo", "payload": { "message": "hi" } }))
            .to_request();
        let (status, _, body) = parts(call_service(&$svc, req).await).await;
        (status, body)
    }};
}

#[actix_web::test]
async fn the_api_enqueues_on_the_master_the_sentinels_name_before_and_after_a_failover() {
    let group = Arc::new(
        tokio::task::spawn_blocking(SentinelGroup::start)
            .await
            .unwrap(),
    );
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let old = group.master_port().unwrap();
    let redis = TestRedis::with_url(SentinelGroup::node_url(old));
    let env = group.env();
    let extra: Vec<(&str, &str)> = env
        .iter()
        .filter(|(k, _)| k != "REDIS_URL")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // REDIS_URL names a port nothing listens on: only the sentinels can lead the API to Redis.
    let settings = common::settings(db.url(), "redis://127.0.0.1:1/0", redis.namespace(), &extra);
    let state = build_state(settings).await.unwrap();
    let app = TestApp { state, redis, db };
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::Manager).await;

    let (status, body) = enqueue_echo!(svc, bearer);
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let first = body["job_id"].as_str().unwrap().to_owned();
    let record_key = |id: &str| format!("{}{id}", app.state.keys().job_prefix());
    let job: Option<String> =
        query(old, redis::cmd("HGET").arg(record_key(&first)).arg("job")).unwrap();
    assert_eq!(
        job.as_deref(),
        Some("diag.echo"),
        "the job is on the master"
    );

    group.failover().unwrap();
    let g = group.clone();
    let new = tokio::task::spawn_blocking(move || g.wait_new_master(old, Duration::from_secs(30)))
        .await
        .unwrap()
        .unwrap();
    // The demoted primary closed the API's idle connection: the first command sent on it fails, and is not
    // resent (a command whose connection broke may have run), so that one request may get a 503; the
    // connection then goes to the new master.
    let (mut status, mut body) = enqueue_echo!(svc, bearer);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        (status, body) = enqueue_echo!(svc, bearer);
    }
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let second = body["job_id"].as_str().unwrap().to_owned();
    for id in [&first, &second] {
        let job: Option<String> =
            query(new, redis::cmd("HGET").arg(record_key(id)).arg("job")).unwrap();
        assert_eq!(
            job.as_deref(),
            Some("diag.echo"),
            "job {id} is on the new master"
        );
    }
}
