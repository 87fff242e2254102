//! Inputs that used to panic or answer 500 (issue 13, finding 5): dates out of range in query parameters
//! and NUL characters in JSON bodies, query strings and paths get a 400 naming the field.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;
use crate::dashboard_common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, parts};
use shared::models::email_account::{self as accounts, ImapAuth, NewEmailAccount, Provider};
use shared::models::user::Role;

/// Asserts a 400 `validation_failed` naming `field`.
fn assert_names(status: StatusCode, body: &serde_json::Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let err = error_of(body);
    assert_eq!(err["code"], "validation_failed", "{body}");
    assert_eq!(err["field"], field, "{body}");
}

#[actix_web::test]
async fn dates_out_of_range_in_query_parameters_get_400_naming_the_field() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    for (query, field) in [
        // Used to panic: `DateTime - TimeDelta overflowed`.
        ("to=-262143-01-01T00:00:00Z", "to"),
        ("from=-262143-01-01T00:00:00Z", "from"),
        (
            "from=-262143-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "from",
        ),
        ("to=%2B200000-01-01T00:00:00Z", "to"),
        ("from=1969-12-31T23:59:59Z&to=1970-01-02T00:00:00Z", "from"),
    ] {
        let req = TestRequest::get()
            .uri(&format!("/api/v1/intelligence/stats?{query}"))
            .insert_header(("Authorization", viewer.clone()))
            .to_request();
        let (status, _, body) = parts(call_service(&svc, req).await).await;
        assert_names(status, &body, field);
    }
    // The bounds themselves are accepted (the default `from` of `to` = 1970-01-02 saturates at 1970).
    let req = TestRequest::get()
        .uri("/api/v1/intelligence/stats?to=1970-01-02T00:00:00Z")
        .insert_header(("Authorization", viewer.clone()))
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The dashboard's history pages with `before`: a far-past instant used to reach Postgres (500).
    let (_, browser) = browser!(app, svc, Role::Viewer);
    for before in ["-262143-01-01T00:00:00Z", "%2B200000-01-01T00:00:00Z"] {
        let req = browser
            .get(&format!("/api/v1/dashboard/history?before={before}"))
            .to_request();
        let (status, _, body) = parts(call_service(&svc, req).await).await;
        assert_names(status, &body, "before");
    }
    let req = browser
        .get("/api/v1/dashboard/history?before=9999-12-31T23:59:59Z")
        .to_request();
    assert_eq!(call_service(&svc, req).await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn nul_characters_get_400_naming_the_field() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (owner, bearer) = app.bearer(Role::User).await;

    // Login email: used to reach Postgres, which refuses 0x00 (500).
    for uri in ["/api/v1/auth/login", "/api/v1/dashboard/session"] {
        let req = TestRequest::post()
            .uri(uri)
            .insert_header(("Content-Type", "application/json"))
            .set_payload(r#"{"email":"a\u0000@example.test","password":"x"}"#)
            .to_request();
        let (status, _, body) = parts(call_service(&svc, req).await).await;
        assert_names(status, &body, "email");
    }

    // Folder names of a mailbox: used to reach Postgres (500).
    let pool = app.state.pool.clone();
    let account = tokio::task::spawn_blocking(move || {
        let new = NewEmailAccount {
            owner_user_id: owner,
            provider: Provider::Gmail,
            address: "nul@gmail.test".to_owned(),
            imap_host: None,
            imap_port: None,
            imap_security: None,
            imap_auth: ImapAuth::Xoauth2,
            username: None,
            secret_ciphertext: None,
            token_expires_at: None,
            folders: vec!["INBOX".to_owned()],
        };
        accounts::create_account(&mut pool.get().unwrap(), &new).unwrap()
    })
    .await
    .unwrap();
    let req = TestRequest::patch()
        .uri(&format!("/api/v1/email-accounts/{}", account.id))
        .insert_header(("Authorization", bearer.clone()))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(r#"{"folders":["INBOX","Sent\u0000"]}"#)
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_names(status, &body, "folders[1]");

    // Any JSON body, keys included (a job payload goes to Postgres' jsonb).
    let req = TestRequest::post()
        .uri("/api/v1/jobs")
        .insert_header(("Authorization", bearer.clone()))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(r#"{"job":"diag.echo","payload":{"message":"hi\u0000"}}"#)
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_names(status, &body, "payload.message");

    // Query strings and paths, before any handler runs.
    let req = TestRequest::get()
        .uri("/api/v1/intelligence/stats?bucket=da%00y")
        .insert_header(("Authorization", bearer.clone()))
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_names(status, &body, "bucket");
    let req = TestRequest::get()
        .uri("/api/v1/interactions/1%00/analysis")
        .insert_header(("Authorization", bearer.clone()))
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_names(status, &body, "path");

    // The same requests without the NUL are fine.
    let req = TestRequest::patch()
        .uri(&format!("/api/v1/email-accounts/{}", account.id))
        .insert_header(("Authorization", bearer))
        .set_json(serde_json::json!({ "folders": ["INBOX", "Sent"] }))
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
