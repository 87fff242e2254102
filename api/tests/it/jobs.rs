//! Run-now, job lookup, dead letters, requeue and the catalogue against real Postgres and Redis.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, header, parts};
use crm_queue::{JobId, JobState};
use shared::models::audit;
use shared::models::user::Role;

fn run_now(bearer: &str, body: serde_json::Value) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/jobs")
        .insert_header(("Authorization", bearer.to_owned()))
        .set_json(body)
}

#[actix_web::test]
async fn a_viewer_gets_403_and_an_admin_202_with_a_waiting_job_and_an_audit_entry() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (admin_id, admin) = app.bearer(Role::Admin).await;

    let (status, _, body) = parts(
        call_service(
            &svc,
            run_now(&viewer, serde_json::json!({ "job": "maint.backup" })).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_of(&body)["code"], "forbidden");

    let req = run_now(
        &admin,
        serde_json::json!({ "job": "maint.backup", "payload": {} }),
    )
    .insert_header(("X-Request-Id", "req-abc-123"))
    .to_request();
    let (status, headers, body) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["duplicate"], false);
    assert_eq!(header(&headers, "x-request-id"), Some("req-abc-123"));
    let job_id: JobId = body["job_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        header(&headers, "location"),
        Some(format!("/api/v1/jobs/{job_id}").as_str())
    );

    let record = app
        .state
        .queue
        .get(&job_id)
        .await
        .unwrap()
        .expect("record stored in Redis");
    assert_eq!(record.job, "maint.backup");
    assert_eq!(record.queue, "maint");
    assert_eq!(record.state, JobState::Waiting);
    assert_eq!(record.attempts, 0);

    let pool = app.state.pool.clone();
    let target = job_id.to_string();
    let entries = tokio::task::spawn_blocking(move || {
        audit::list_for_target(&mut pool.get().unwrap(), "job", &target, 10).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "job.run_now");
    assert_eq!(entries[0].actor_user_id, Some(admin_id));
    assert_eq!(entries[0].request_id.as_deref(), Some("req-abc-123"));
    assert_eq!(
        entries[0].details,
        serde_json::json!({
            "job": "maint.backup",
            "job_id": job_id.to_string(),
            "duplicate": false,
            "run_at": null,
        })
    );
}

#[actix_web::test]
async fn roles_follow_the_catalogue() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, manager) = app.bearer(Role::Manager).await;
    let (_, user) = app.bearer(Role::User).await;
    let noop = serde_json::json!({ "job": "diag.noop", "payload": { "tag": "t" } });
    let res = call_service(&svc, run_now(&manager, noop.clone()).to_request()).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = call_service(&svc, run_now(&user, noop).to_request()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_duplicate_idempotency_key_returns_the_first_job() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let body = serde_json::json!({ "job": "diag.noop", "payload": {}, "idempotency_key": "nightly-2026-11-21" });
    let (s1, _, first) =
        parts(call_service(&svc, run_now(&admin, body.clone()).to_request()).await).await;
    let (s2, _, second) = parts(call_service(&svc, run_now(&admin, body).to_request()).await).await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(first["job_id"], second["job_id"]);
    assert_eq!(first["duplicate"], false);
    assert_eq!(second["duplicate"], true);

    let too_long = serde_json::json!({ "job": "diag.noop", "idempotency_key": "k".repeat(201) });
    let (status, _, body) =
        parts(call_service(&svc, run_now(&admin, too_long).to_request()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "idempotency_key");
}

#[actix_web::test]
async fn run_at_in_the_future_schedules_the_job() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let at = chrono::Utc::now() + chrono::Duration::hours(1);
    let body = serde_json::json!({ "job": "diag.noop", "run_at": at.to_rfc3339() });
    let (status, _, body) =
        parts(call_service(&svc, run_now(&admin, body).to_request()).await).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id: JobId = body["job_id"].as_str().unwrap().parse().unwrap();
    let record = app.state.queue.get(&id).await.unwrap().unwrap();
    assert_eq!(record.state, JobState::Scheduled);

    let bad = serde_json::json!({ "job": "diag.noop", "run_at": "tomorrow" });
    let (status, _, body) =
        parts(call_service(&svc, run_now(&admin, bad).to_request()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "run_at");
}

#[actix_web::test]
async fn a_bad_payload_gets_400_naming_the_field() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let cases = [
        (
            serde_json::json!({ "job": "diag.sleep", "payload": { "millis": "x" } }),
            "millis",
        ),
        (
            serde_json::json!({ "job": "diag.sleep", "payload": {} }),
            "millis",
        ),
        (
            serde_json::json!({ "job": "diag.sleep", "payload": { "millis": 5, "extra": 1 } }),
            "extra",
        ),
        (
            serde_json::json!({ "job": "maint.backup", "payload": { "full": true } }),
            "full",
        ),
    ];
    for (body, field) in cases {
        let (status, _, json) =
            parts(call_service(&svc, run_now(&admin, body.clone()).to_request()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let err = error_of(&json);
        assert_eq!(err["code"], "invalid_payload");
        assert_eq!(err["field"], field, "{json}");
        assert!(err["message"].as_str().unwrap().contains(field), "{json}");
    }
}

#[actix_web::test]
async fn unknown_top_level_fields_and_malformed_bodies_get_400() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let body = serde_json::json!({ "job": "diag.noop", "payload": {}, "priority": 9 });
    let (status, _, json) =
        parts(call_service(&svc, run_now(&admin, body).to_request()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&json)["field"], "priority");
    assert_eq!(error_of(&json)["code"], "validation_failed");

    let missing = serde_json::json!({ "payload": {} });
    let (status, _, json) =
        parts(call_service(&svc, run_now(&admin, missing).to_request()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&json)["field"], "job");

    let req = TestRequest::post()
        .uri("/api/v1/jobs")
        .insert_header(("Authorization", admin.clone()))
        .insert_header(("Content-Type", "application/json"))
        .set_payload("{\"job\": ")
        .to_request();
    let (status, _, json) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&json)["code"], "invalid_json");

    let req = TestRequest::post()
        .uri("/api/v1/jobs")
        .insert_header(("Authorization", admin))
        .insert_header(("Content-Type", "text/plain"))
        .set_payload("{}")
        .to_request();
    assert_eq!(
        call_service(&svc, req).await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[actix_web::test]
async fn an_unknown_job_gets_404_naming_it() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let body = serde_json::json!({ "job": "maint.reticulate_splines" });
    let (status, _, json) =
        parts(call_service(&svc, run_now(&admin, body).to_request()).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let err = error_of(&json);
    assert_eq!(err["code"], "unknown_job");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("maint.reticulate_splines")
    );
}

#[actix_web::test]
async fn an_oversized_body_gets_413() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    // API_MAX_BODY_BYTES is 4096 in tests.
    let body = serde_json::json!({ "job": "diag.noop", "payload": { "tag": "x".repeat(5000) } });
    let (status, _, json) =
        parts(call_service(&svc, run_now(&admin, body).to_request()).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let err = error_of(&json);
    assert_eq!(err["code"], "payload_too_large");
    assert!(err["message"].as_str().unwrap().contains("4096"));
}

#[actix_web::test]
async fn get_job_returns_the_record_404_when_unknown_and_400_when_malformed() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (_, admin) = app.bearer(Role::Admin).await;
    let (_, _, created) = parts(
        call_service(
            &svc,
            run_now(&admin, serde_json::json!({ "job": "diag.noop" })).to_request(),
        )
        .await,
    )
    .await;
    let id = created["job_id"].as_str().unwrap();

    let get_as = |bearer: &str, path: String| {
        TestRequest::get()
            .uri(&path)
            .insert_header(("Authorization", bearer.to_owned()))
            .to_request()
    };
    let get = |path: String| get_as(&admin, path);
    // Another user's job is unknown to a viewer (finding 3: no payload, no result).
    let (status, _, json) =
        parts(call_service(&svc, get_as(&viewer, format!("/api/v1/jobs/{id}"))).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&json)["code"], "not_found");

    let (status, _, record) =
        parts(call_service(&svc, get(format!("/api/v1/jobs/{id}"))).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["id"], id);
    assert!(record["actor"].as_str().unwrap().starts_with("user:"));
    assert_eq!(record["resource"], "platform");
    assert_eq!(record["job"], "diag.noop");
    assert_eq!(record["state"], "waiting");
    assert_eq!(record["attempts"], 0);
    assert_eq!(record["max_attempts"], 3);
    assert!(record["created_at"].is_string());
    assert!(
        record["result"].is_null()
            && record["last_error"].is_null()
            && record["progress"].is_null()
    );

    let unknown = JobId::new();
    let (status, _, json) =
        parts(call_service(&svc, get(format!("/api/v1/jobs/{unknown}"))).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&json)["code"], "not_found");

    let (status, _, json) = parts(call_service(&svc, get("/api/v1/jobs/12345".into())).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&json)["field"], "id");
}

#[actix_web::test]
async fn dead_letters_and_requeue_are_for_admins_and_requeue_refuses_live_jobs() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (_, manager) = app.bearer(Role::Manager).await;
    let (_, admin) = app.bearer(Role::Admin).await;
    let get = |auth: &str, uri: &str| {
        TestRequest::get()
            .uri(uri)
            .insert_header(("Authorization", auth.to_owned()))
            .to_request()
    };
    let post = |auth: &str, uri: &str| {
        TestRequest::post()
            .uri(uri)
            .insert_header(("Authorization", auth.to_owned()))
            .to_request()
    };

    for who in [&viewer, &manager] {
        assert_eq!(
            call_service(&svc, get(who, "/api/v1/jobs/dead"))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
    }
    let (status, _, page) =
        parts(call_service(&svc, get(&admin, "/api/v1/jobs/dead?offset=0&limit=10")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 0);
    assert_eq!(page["limit"], 10);
    assert_eq!(page["jobs"], serde_json::json!([]));
    let (status, _, json) =
        parts(call_service(&svc, get(&admin, "/api/v1/jobs/dead?limit=0")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&json)["field"], "limit");
    let (status, _, json) =
        parts(call_service(&svc, get(&admin, "/api/v1/jobs/dead?limit=abc")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&json)["code"], "invalid_query");

    let (_, _, created) = parts(
        call_service(
            &svc,
            run_now(&admin, serde_json::json!({ "job": "diag.noop" })).to_request(),
        )
        .await,
    )
    .await;
    let id = created["job_id"].as_str().unwrap();
    let uri = format!("/api/v1/jobs/{id}/requeue");
    assert_eq!(
        call_service(&svc, post(&manager, &uri)).await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _, json) = parts(call_service(&svc, post(&admin, &uri)).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_of(&json)["code"], "not_dead");
    let uri = format!("/api/v1/jobs/{}/requeue", JobId::new());
    assert_eq!(
        call_service(&svc, post(&admin, &uri)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call_service(&svc, post(&admin, "/api/v1/jobs/nope/requeue"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn the_catalogue_says_what_the_caller_may_run() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (_, admin) = app.bearer(Role::Admin).await;
    let list = |auth: &str| {
        TestRequest::get()
            .uri("/api/v1/jobs/catalogue")
            .insert_header(("Authorization", auth.to_owned()))
            .to_request()
    };
    let (status, _, entries) = parts(call_service(&svc, list(&viewer)).await).await;
    assert_eq!(status, StatusCode::OK);
    let backup = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "maint.backup")
        .unwrap();
    assert_eq!(backup["queue"], "maint");
    assert_eq!(backup["run_role"], "admin");
    assert_eq!(backup["max_attempts"], 3);
    assert_eq!(backup["timeout_secs"], 3 * 3600);
    assert!(backup["description"].is_string());
    assert_eq!(backup["may_run"], false);

    let (_, _, entries) = parts(call_service(&svc, list(&admin)).await).await;
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["may_run"] == true)
    );
}
