//! Helpers of the dashboard tests: sign in through the session endpoint, send cookie + CSRF token,
//! read audit entries, and put a job in the dead-letter set as the worker would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "helpers shared by several test binaries, each using a part"
)]

use actix_web::http::header::HeaderMap;
use actix_web::test::TestRequest;
use crm_queue::JobId;
use redis::AsyncCommands;
use shared::jobs::Queue;
use shared::models::audit::{self, AuditEntry};

use crate::common::{PASSWORD, TestApp};

/// A signed-in browser: its session cookie and CSRF token.
#[derive(Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl Browser {
    pub fn get(&self, uri: &str) -> TestRequest {
        TestRequest::get()
            .uri(uri)
            .insert_header(("Cookie", self.cookie.clone()))
    }

    /// A state-changing request with the CSRF token.
    pub fn send(&self, method: &str, uri: &str, body: Option<serde_json::Value>) -> TestRequest {
        self.raw(method, uri, body, Some(&self.csrf))
    }

    pub fn raw(
        &self,
        method: &str,
        uri: &str,
        body: Option<serde_json::Value>,
        csrf: Option<&str>,
    ) -> TestRequest {
        let mut req = match method {
            "POST" => TestRequest::post(),
            "DELETE" => TestRequest::delete(),
            other => panic!("method {other}"),
        }
        .uri(uri)
        .insert_header(("Cookie", self.cookie.clone()));
        if let Some(token) = csrf {
            req = req.insert_header(("X-CSRF-Token", token.to_owned()));
        }
        if let Some(b) = body {
            req = req.set_json(b);
        }
        req
    }
}

/// The sign-in request of `email`.
pub fn sign_in_request(email: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/dashboard/session")
        .set_json(serde_json::json!({ "email": email, "password": PASSWORD }))
}

/// The browser state from a sign-in response.
pub fn browser_from(headers: &HeaderMap, body: &serde_json::Value) -> Browser {
    let set_cookie = headers.get("set-cookie").unwrap().to_str().unwrap();
    Browser {
        cookie: set_cookie.split(';').next().unwrap().to_owned(),
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// Signs in a new user of `role` on service `$svc` of test app `$app`: `(user id, Browser)`.
#[macro_export]
macro_rules! browser {
    ($app:expr, $svc:expr, $role:expr) => {{
        let (id, email) = $app.user($role).await;
        let (status, headers, body) = common::parts(
            actix_web::test::call_service(
                &$svc,
                dashboard_common::sign_in_request(&email).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, actix_web::http::StatusCode::OK, "{body}");
        (id, dashboard_common::browser_from(&headers, &body))
    }};
}

/// Audit entries about one target, newest first.
pub async fn audit_of(app: &TestApp, target_type: &str, target: &str) -> Vec<AuditEntry> {
    let pool = app.state.pool.clone();
    let (t, id) = (target_type.to_owned(), target.to_owned());
    tokio::task::spawn_blocking(move || {
        audit::list_for_target(&mut pool.get().unwrap(), &t, &id, 20).unwrap()
    })
    .await
    .unwrap()
}

/// Moves a waiting job (first attempt, never started) to the dead-letter set, as the worker does when it
/// gives up: off the ready list, record marked dead with its reason, listed in both dead sets.
pub async fn bury(app: &TestApp, id: &JobId, queue: Queue, reason: &str) {
    let keys = app.state.keys().clone();
    let mut conn = app.state.redis();
    let now = chrono::Utc::now().timestamp_millis();
    let task: String = conn.hget(keys.job(id), "task_id").await.unwrap();
    let error = serde_json::json!({"attempt": 1, "at": chrono::Utc::now(), "error": reason, "permanent": true});
    let _: () = redis::pipe()
        .lrem(keys.active(queue), 0, &task)
        .hset_multiple(
            keys.job(id),
            &[
                ("state", "dead".to_owned()),
                ("attempts", "1".to_owned()),
                ("finished_at", now.to_string()),
                ("last_error", reason.to_owned()),
            ],
        )
        .lpush(keys.job_errors(id), error.to_string())
        .zadd(keys.dead(), id.to_string(), now)
        .zadd(keys.dead_in(queue), id.to_string(), now)
        .query_async(&mut conn)
        .await
        .unwrap();
}
