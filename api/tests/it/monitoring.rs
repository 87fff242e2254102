//! Metrics cardinality and exposure (issue 13, finding 8): made-up HTTP methods add no series; `/metrics`
//! and the detailed health are admin-only on the main bind, and only on `API_METRICS_BIND` when it is set.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::{Method, StatusCode};
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, parts};
use shared::models::user::Role;

#[actix_web::test]
async fn made_up_methods_add_no_series() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let methods: Vec<String> = (0..20)
        .map(|i| format!("PROBE{i}X{}", ulid::Ulid::new()))
        .collect();
    for m in &methods {
        let req = TestRequest::default()
            .method(Method::from_bytes(m.as_bytes()).unwrap())
            .uri("/api/v1/health")
            .to_request();
        let status = call_service(&svc, req).await.status();
        assert!(status.is_client_error(), "{m}: {status}");
    }
    let text = crm_api::telemetry::metrics_handle().unwrap().render();
    for m in &methods {
        assert!(!text.contains(m.as_str()), "{m} became a label");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("http_requests_total") && l.contains(r#"method="other""#)),
        "{text}"
    );
}

#[actix_web::test]
async fn without_a_metrics_bind_metrics_and_detailed_health_are_for_admins_only() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (_, admin) = app.bearer(Role::Admin).await;
    for uri in ["/metrics", "/api/v1/health/detailed"] {
        let (status, _, body) =
            parts(call_service(&svc, TestRequest::get().uri(uri).to_request()).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}: {body}");
        let req = TestRequest::get()
            .uri(uri)
            .insert_header(("Authorization", viewer.clone()))
            .to_request();
        let (status, _, body) = parts(call_service(&svc, req).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
        assert_eq!(error_of(&body)["code"], "forbidden");
        let req = TestRequest::get()
            .uri(uri)
            .insert_header(("Authorization", admin.clone()))
            .to_request();
        assert_eq!(
            call_service(&svc, req).await.status(),
            StatusCode::OK,
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn with_a_metrics_bind_they_are_served_there_only() {
    let app = TestApp::with_env(&[("API_METRICS_BIND", "127.0.0.1:0")]).await;
    let (_, admin) = app.bearer(Role::Admin).await;

    // The main bind, over TCP: not there, even for an admin.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = listener.local_addr().unwrap();
    let server = crm_api::api_server(app.state.clone(), listener).unwrap();
    let api_handle = server.handle();
    actix_web::rt::spawn(server);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let monitoring = listener.local_addr().unwrap();
    let server = crm_api::metrics_server(app.state.clone(), listener).unwrap();
    let monitoring_handle = server.handle();
    actix_web::rt::spawn(server);

    let client = reqwest::Client::new();
    for path in ["/metrics", "/api/v1/health/detailed"] {
        let res = client
            .get(format!("http://{api}{path}"))
            .header("Authorization", admin.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND, "{path}");
        let res = client
            .get(format!("http://{monitoring}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{path}");
    }
    let text = client
        .get(format!("http://{monitoring}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    // Nothing else is served on the monitoring bind.
    let res = client
        .post(format!("http://{monitoring}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": "a@b.c", "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
    // The rest of the API is still on the main bind.
    let res = client
        .get(format!("http://{api}/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);

    api_handle.stop(false).await;
    monitoring_handle.stop(false).await;
}
