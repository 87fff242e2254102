//! Health, schedules, OpenAPI, metrics, request ids, and a real server on a free port.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, header, parts, settings};
use crm_api::build_state;
use crm_queue::{JobId, JobState, now_ms};
use redis::AsyncCommands;
use shared::models::user::Role;
use shared::test_utils::TestDb;

#[actix_web::test]
async fn liveness_answers_without_auth() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (status, headers, body) =
        parts(call_service(&svc, TestRequest::get().uri("/api/v1/health").to_request()).await)
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
    assert_eq!(
        header(&headers, "x-request-id").map(str::len),
        Some(26),
        "a ULID is generated"
    );
}

#[actix_web::test]
async fn detailed_health_reports_every_store_and_needs_a_live_worker_to_be_healthy() {
    let app = TestApp::new().await;
    let svc = monitoring_service!(app);
    let req = || {
        TestRequest::get()
            .uri("/api/v1/health/detailed")
            .to_request()
    };

    let (status, _, report) = parts(call_service(&svc, req()).await).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["status"], "degraded",
        "no worker runs in this test: {report}"
    );
    assert!(
        report["problems"][0]
            .as_str()
            .unwrap()
            .contains("no live worker")
    );
    let pg = &report["postgres"];
    assert_eq!(pg["up"], true);
    assert!(
        pg["version"]
            .as_str()
            .unwrap()
            .chars()
            .next()
            .unwrap()
            .is_ascii_digit()
    );
    assert!(pg["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(pg["pool"]["max_size"], 4);
    assert!(pg["pool"]["connections"].as_u64().unwrap() >= 1);
    assert!(pg["pool"]["idle"].is_u64());
    let rd = &report["redis"];
    assert_eq!(rd["up"], true);
    assert!(rd["version"].is_string());
    assert!(rd["used_memory_bytes"].as_u64().unwrap() > 0);
    assert!(rd["connected_clients"].as_u64().unwrap() >= 1);
    assert!(rd["latency_ms"].is_f64());
    let workers = &report["workers"];
    assert_eq!(workers["live_processes"], 0);
    let queues: Vec<&str> = workers["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["queue"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = shared::jobs::Queue::ALL
        .iter()
        .map(|q| q.as_str())
        .collect();
    assert_eq!(queues, expected);
    assert_eq!(workers["delayed"], 0);
    assert_eq!(workers["dead"], 0);
    assert_eq!(workers["quarantined"], 0);
    // The backup folder's file system (a path it cannot read here reports an error, not a status).
    assert_eq!(report["disks"][0]["name"], "backup_dir", "{report}");
    assert!(
        report["disks"][0]["free_percent"].is_f64() || report["disks"][0]["error"].is_string(),
        "{report}"
    );
    // Every schedule of the table, none fired yet; no verified backup yet.
    let names: Vec<&str> = report["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"maint.backup") && names.contains(&"campaigns.tick"),
        "{names:?}"
    );
    assert!(report["schedules"][0]["last_fired_at"].is_null());
    assert!(report["newest_verified_backup"].is_null());
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO backups (file_name, started_at, finished_at, status, verified_at, verify_result) \
             VALUES ('b.sql.gz', now() - interval '3 hours', now() - interval '3 hours', 'succeeded', now(), 'ok')",
        ),
        &mut app.db.conn(),
    )
    .unwrap();
    let (_, _, report) = parts(call_service(&svc, req()).await).await;
    let age = report["newest_verified_backup"]["age_hours"]
        .as_f64()
        .unwrap();
    assert!((2.9..3.2).contains(&age), "{report}");

    // Envelopes a worker set aside are counted across queues.
    let mut conn = app.state.redis();
    let keys = app.redis.keys();
    for (q, task) in [
        (shared::jobs::Queue::Diag, "01J00000000000000000000001"),
        (shared::jobs::Queue::Mail, "01J00000000000000000000002"),
    ] {
        let _: () = conn
            .hset(keys.malformed(q), task, "{not json")
            .await
            .unwrap();
    }
    let (_, _, report) = parts(call_service(&svc, req()).await).await;
    assert_eq!(report["workers"]["quarantined"], 2, "{report}");

    // A worker heartbeat makes it healthy; one older than 30 s does not count.
    let _: () = conn
        .zadd(keys.processes(), "stale-worker", now_ms() - 60_000)
        .await
        .unwrap();
    let (_, _, report) = parts(call_service(&svc, req()).await).await;
    assert_eq!(report["status"], "degraded");
    let _: () = conn
        .zadd(keys.processes(), "live-worker", now_ms())
        .await
        .unwrap();
    let (status, _, report) = parts(call_service(&svc, req()).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["status"], "healthy", "{report}");
    assert_eq!(report["workers"]["live_processes"], 1);
    assert_eq!(report["problems"], serde_json::json!([]));

    // A job waiting for more than 5 minutes degrades it again.
    let old = ulid::Ulid::from_parts(u64::try_from(now_ms() - 400_000).unwrap(), 1).to_string();
    let _: () = conn
        .rpush(keys.active(shared::jobs::Queue::Maint), old)
        .await
        .unwrap();
    let (_, _, report) = parts(call_service(&svc, req()).await).await;
    assert_eq!(report["status"], "degraded", "{report}");
    assert!(report["problems"][0].as_str().unwrap().contains("maint"));

    // Nothing personal or secret in the report.
    let text = report.to_string();
    assert!(
        !text.contains("postgres://") && !text.contains("redis://") && !text.contains("127.0.0.1")
    );
}

#[actix_web::test]
async fn detailed_health_is_503_within_the_timeout_when_redis_is_unreachable() {
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    // Port 1 on loopback: nothing listens there.
    let state = build_state(settings(
        db.url(),
        "redis://127.0.0.1:1",
        "unreachable",
        &[],
    ))
    .await
    .unwrap();
    let svc = actix_web::test::init_service(
        actix_web::App::new().configure(crm_api::metrics_app_config(state.clone())),
    )
    .await;

    let started = Instant::now();
    let (status, _, report) = parts(
        call_service(
            &svc,
            TestRequest::get()
                .uri("/api/v1/health/detailed")
                .to_request(),
        )
        .await,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(report["status"], "unhealthy");
    assert_eq!(report["redis"]["up"], false);
    assert!(report["redis"]["error"].is_string());
    assert_eq!(report["postgres"]["up"], true);
    assert!(report["workers"].is_null());
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "redis is unreachable")
    );

    // Liveness does not touch the stores.
    let svc =
        actix_web::test::init_service(actix_web::App::new().configure(crm_api::app_config(state)))
            .await;
    let res = call_service(&svc, TestRequest::get().uri("/api/v1/health").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn schedules_list_next_and_last_fire_times() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;

    let tick = chrono::Utc::now() - chrono::Duration::hours(3);
    let result = crm_schedules::TickResult {
        tick,
        fired_at: tick,
        job_id: Some(JobId::new().to_string()),
        duplicate: false,
        manual: false,
        error: None,
    };
    let mut conn = app.state.redis();
    let keys = app.redis.keys();
    let _: () = conn
        .hset(
            keys.scheduler_last(),
            "maint.backup",
            tick.timestamp_millis(),
        )
        .await
        .unwrap();
    let _: () = conn
        .hset(
            keys.scheduler_result(),
            "maint.backup",
            serde_json::to_string(&result).unwrap(),
        )
        .await
        .unwrap();

    let req = TestRequest::get()
        .uri("/api/v1/schedules")
        .insert_header(("Authorization", viewer.clone()))
        .to_request();
    let (status, _, list) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::OK);
    let entries = list.as_array().unwrap();
    let backup = entries
        .iter()
        .find(|e| e["name"] == "maint.backup")
        .unwrap();
    assert_eq!(backup["expression"], "0 2 * * *");
    assert_eq!(backup["job"], "maint.backup");
    assert_eq!(backup["enabled"], true);
    assert_eq!(backup["timezone"], "Europe/Paris");
    let next: chrono::DateTime<chrono::Utc> =
        backup["next_fire_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() && next < chrono::Utc::now() + chrono::Duration::days(1));
    let local =
        chrono::DateTime::parse_from_rfc3339(backup["next_fire_local"].as_str().unwrap()).unwrap();
    assert_eq!(local.format("%H:%M").to_string(), "02:00");
    assert!(matches!(local.offset().local_minus_utc(), 3600 | 7200));
    assert_eq!(local, next);
    let last: chrono::DateTime<chrono::Utc> =
        backup["last_fired_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(last.timestamp_millis(), tick.timestamp_millis());
    assert_eq!(
        backup["last_result"]["job_id"],
        result.job_id.clone().unwrap()
    );

    let heartbeat = entries
        .iter()
        .find(|e| e["name"] == "diag.heartbeat")
        .unwrap();
    assert_eq!(heartbeat["enabled"], false);
    assert!(heartbeat["next_fire_at"].is_null());
    assert!(heartbeat["last_fired_at"].is_null());

    // The scheduler's tick cursor is not a fire: an entry whose cursor moved but which never enqueued
    // shows no last fire. A failed fire is not a fire either.
    let _: () = conn
        .hset(
            keys.scheduler_last(),
            "maint.backup_verify",
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .unwrap();
    let failed = crm_schedules::TickResult {
        job_id: None,
        error: Some("redis unavailable".into()),
        ..result.clone()
    };
    let _: () = conn
        .hset(
            keys.scheduler_result(),
            "mail.cleanup",
            serde_json::to_string(&failed).unwrap(),
        )
        .await
        .unwrap();
    // An operator disabled mail.sync_all from the dashboard: the API shows what the scheduler does.
    crm_schedules::set_enabled(&app.state.queue, "mail.sync_all", false)
        .await
        .unwrap();
    let req = TestRequest::get()
        .uri("/api/v1/schedules")
        .insert_header(("Authorization", viewer))
        .to_request();
    let (_, _, list) = parts(call_service(&svc, req).await).await;
    let by_name = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()
            .clone()
    };
    assert!(by_name("maint.backup_verify")["last_fired_at"].is_null());
    assert!(by_name("maint.backup_verify")["last_result"].is_null());
    let cleanup = by_name("mail.cleanup");
    assert!(cleanup["last_fired_at"].is_null());
    assert_eq!(cleanup["last_result"]["error"], "redis unavailable");
    let sync_all = by_name("mail.sync_all");
    assert_eq!(sync_all["enabled"], false);
    assert!(sync_all["next_fire_at"].is_null());
}

#[actix_web::test]
async fn an_admin_runs_a_schedule_now() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (admin_id, admin) = app.bearer(Role::Admin).await;
    let post = |auth: &str, name: &str| {
        TestRequest::post()
            .uri(&format!("/api/v1/schedules/{name}/run"))
            .insert_header(("Authorization", auth.to_owned()))
            .to_request()
    };
    assert_eq!(
        call_service(&svc, post(&viewer, "maint.backup"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let (status, _, json) = parts(call_service(&svc, post(&admin, "maint.nothing")).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&json)["code"], "unknown_schedule");

    let (status, _, json) = parts(call_service(&svc, post(&admin, "maint.backup")).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{json}");
    assert_eq!(json["schedule"], "maint.backup");
    let id: JobId = json["job_id"].as_str().unwrap().parse().unwrap();
    let record = app.state.queue.get(&id).await.unwrap().unwrap();
    assert_eq!(record.job, "maint.backup");
    assert_eq!(record.state, JobState::Waiting);

    let mut conn = app.state.redis();
    let stored: String = conn
        .hget(app.redis.keys().scheduler_result(), "maint.backup")
        .await
        .unwrap();
    let stored: crm_schedules::TickResult = serde_json::from_str(&stored).unwrap();
    assert!(stored.manual);
    assert_eq!(stored.job_id, Some(id.to_string()));

    let pool = app.state.pool.clone();
    let entries = tokio::task::spawn_blocking(move || {
        shared::models::audit::list_for_target(
            &mut pool.get().unwrap(),
            "schedule",
            "maint.backup",
            5,
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "schedule.run_now");
    assert_eq!(entries[0].actor_user_id, Some(admin_id));
    assert_eq!(
        entries[0].details,
        serde_json::json!({ "job": "maint.backup", "job_id": id.to_string() })
    );
}

#[actix_web::test]
async fn the_openapi_document_lists_the_routes_and_schemas() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (status, _, doc) = parts(
        call_service(
            &svc,
            TestRequest::get().uri("/api/v1/openapi.json").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/dead",
        "/api/v1/jobs/{id}/requeue",
        "/api/v1/jobs/catalogue",
        "/api/v1/auth/login",
        "/api/v1/health",
        "/api/v1/health/detailed",
        "/api/v1/schedules",
        "/api/v1/schedules/{name}/run",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(paths["/api/v1/jobs"]["post"]["responses"]["202"].is_object());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "RunJobRequest",
        "JobRecord",
        "ErrorBody",
        "HealthReport",
        "ScheduleView",
        "TickResult",
    ] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_expose_queue_gauges() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let req = TestRequest::get()
        .uri(&format!("/api/v1/jobs/{}", JobId::new()))
        .insert_header(("Authorization", viewer))
        .to_request();
    assert_eq!(
        call_service(&svc, req).await.status(),
        StatusCode::NOT_FOUND
    );

    let (_, admin) = app.bearer(Role::Admin).await;
    let res = call_service(
        &svc,
        TestRequest::get()
            .uri("/metrics")
            .insert_header(("Authorization", admin))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        header(res.headers(), "content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap();
    // Other tests of this process count requests too: look for this one's series.
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total")
                && l.contains(r#"route="/api/v1/jobs/{id}""#)
                && l.contains(r#"status="404""#)
        })
        .unwrap_or_else(|| panic!("no request counter in\n{text}"));
    assert!(line.contains(r#"method="GET""#), "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"queue_depth{queue="maint"}"#), "{text}");
    assert!(
        !text.contains("/api/v1/jobs/0"),
        "raw paths must not be labels"
    );
}

#[actix_web::test]
async fn unknown_paths_get_a_json_404_and_request_ids_are_echoed_or_replaced() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let req = TestRequest::get()
        .uri("/api/v2/whatever")
        .insert_header(("X-Request-Id", "client-id-1"))
        .to_request();
    let (status, headers, json) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&json)["code"], "not_found");
    assert_eq!(header(&headers, "x-request-id"), Some("client-id-1"));

    let req = TestRequest::get()
        .uri("/api/v1/health")
        .insert_header(("X-Request-Id", "<script>alert(1)</script>"))
        .to_request();
    let res = call_service(&svc, req).await;
    let id = header(res.headers(), "x-request-id").unwrap();
    assert_eq!(id.len(), 26);
    assert!(id.parse::<ulid::Ulid>().is_ok());
}

#[actix_web::test]
async fn a_real_server_serves_login_and_jobs_over_tcp() {
    let app = TestApp::new().await;
    let (_, email) = app.user(Role::Admin).await;
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().configure(crm_api::app_config(state.clone()))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": common::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(res.headers()["x-ratelimit-limit"], "5");
    let token: serde_json::Value = res.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();

    let res = client
        .post(format!("{base}/api/v1/jobs"))
        .bearer_auth(&token)
        .header("X-Request-Id", "over-tcp-1")
        .json(&serde_json::json!({ "job": "diag.noop" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
    assert_eq!(res.headers()["x-request-id"], "over-tcp-1");
    assert_eq!(res.headers()["x-ratelimit-limit"], "1000");
    let body: serde_json::Value = res.json().await.unwrap();
    let res = client
        .get(format!(
            "{base}/api/v1/jobs/{}",
            body["job_id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);

    // An oversized body declared up front is refused without reading it.
    let res = client
        .post(format!("{base}/api/v1/jobs"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body(vec![b' '; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);

    handle.stop(true).await;
}
