//! Email account API against a real Dovecot, Postgres and Redis: creation after a test login (400 with the
//! server's reason on wrong credentials, 409 on a duplicate), owner/admin visibility (404 for another
//! user's account), update, sync now and delete; no secret in any response.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use common::{TestApp, error_of};
use shared::models::user::Role;
use shared::test_utils::Dovecot;

const PASSWORD: &str = "imap-pw-7f3a9c";
const KEY: &str = "2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a";

async fn app() -> TestApp {
    TestApp::with_env(&[("MAIL_ENCRYPTION_KEY", KEY)]).await
}

fn new_account(dovecot: &Dovecot, user: &str, password: &str) -> serde_json::Value {
    serde_json::json!({
        "address": format!("{user}@crm.test"),
        "host": dovecot.host(),
        "port": dovecot.port(),
        "security": "none",
        "username": user,
        "secret": password,
    })
}

/// Calls the service; returns the status and the JSON body, asserting no secret leaks in the raw body.
macro_rules! call {
    ($svc:expr, $req:expr) => {{
        let res = call_service(&$svc, $req.to_request()).await;
        let status = res.status();
        let raw = read_body(res).await;
        let text = String::from_utf8_lossy(&raw).to_string();
        assert!(!text.contains(PASSWORD), "password in a response: {text}");
        assert!(
            !text.contains("secret"),
            "secret field in a response: {text}"
        );
        let json: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_default();
        (status, json)
    }};
}

fn req(method: &str, uri: &str, bearer: &str) -> TestRequest {
    let r = match method {
        "POST" => TestRequest::post(),
        "PATCH" => TestRequest::patch(),
        "DELETE" => TestRequest::delete(),
        _ => TestRequest::get(),
    };
    r.uri(uri)
        .insert_header(("Authorization", bearer.to_owned()))
}

#[actix_web::test]
async fn create_list_show_update_sync_and_delete_without_ever_returning_the_secret() {
    let dovecot = Dovecot::start(&[("alice", PASSWORD)]);
    let app = app().await;
    let svc = service!(app);
    let (owner_id, owner) = app.bearer(Role::User).await;

    let (status, created) = call!(
        svc,
        req("POST", "/api/v1/email-accounts", &owner)
            .set_json(new_account(&dovecot, "alice", PASSWORD))
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["owner_user_id"], owner_id.0);
    assert_eq!(created["provider"], "imap");
    assert_eq!(created["folders"], serde_json::json!(["INBOX", "Sent"]));
    assert_eq!(created["active"], true);

    // Stored encrypted: the column does not hold the password.
    let pool = app.state.pool.clone();
    let sealed = tokio::task::spawn_blocking(move || {
        let mut c = pool.get().unwrap();
        shared::models::email_account::find_account(
            &mut c,
            shared::models::email_account::EmailAccountId(id),
        )
        .unwrap()
        .unwrap()
        .secret_ciphertext
        .unwrap()
    })
    .await
    .unwrap();
    assert!(
        !sealed
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );

    let (status, dup) = call!(
        svc,
        req("POST", "/api/v1/email-accounts", &owner)
            .set_json(new_account(&dovecot, "alice", PASSWORD))
    );
    assert_eq!(status, StatusCode::CONFLICT, "{dup}");
    assert_eq!(error_of(&dup)["code"], "duplicate_account");

    let (status, list) = call!(svc, req("GET", "/api/v1/email-accounts", &owner));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id);

    let uri = format!("/api/v1/email-accounts/{id}");
    let (status, shown) = call!(svc, req("GET", &uri, &owner));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["address"], "alice@crm.test");

    let (status, updated) = call!(
        svc,
        req("PATCH", &uri, &owner)
            .set_json(serde_json::json!({ "active": false, "folders": ["INBOX"] }))
    );
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["active"], false);
    assert_eq!(updated["folders"], serde_json::json!(["INBOX"]));
    let (status, bad) = call!(
        svc,
        req("PATCH", &uri, &owner).set_json(serde_json::json!({ "folders": [] }))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&bad)["field"], "folders");

    let (status, job) = call!(svc, req("POST", &format!("{uri}/sync"), &owner));
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job_id: crm_queue::JobId = job["job_id"].as_str().unwrap().parse().unwrap();
    let record = app.state.queue.get(&job_id).await.unwrap().unwrap();
    assert_eq!(record.job, "mail.sync_account");
    assert_eq!(record.payload["account_id"], id);

    let (status, _) = call!(svc, req("DELETE", &uri, &owner));
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call!(svc, req("GET", &uri, &owner));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = call!(svc, req("GET", "/api/v1/email-accounts", &owner));
    assert_eq!(list, serde_json::json!([]));
}

#[actix_web::test]
async fn wrong_credentials_are_a_400_with_the_servers_response_code_and_nothing_is_saved() {
    let dovecot = Dovecot::start(&[("alice", PASSWORD)]);
    let app = app().await;
    let svc = service!(app);
    let (_, owner) = app.bearer(Role::User).await;

    let (status, body) = call!(
        svc,
        req("POST", "/api/v1/email-accounts", &owner)
            .set_json(new_account(&dovecot, "alice", "wrong-pw"))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let err = error_of(&body);
    assert_eq!(err["code"], "login_refused");
    // Dovecot's standard response code, never its own words (the server's bytes are not echoed).
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("AUTHENTICATIONFAILED"), "{err}");
    assert!(!message.contains("Authentication failed."), "{err}");
    let (status, body) = call!(
        svc,
        req("POST", "/api/v1/email-accounts", &owner).set_json(serde_json::json!({
            "address": "not-an-address", "host": dovecot.host(), "port": dovecot.port(),
            "security": "none", "secret": PASSWORD,
        }))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "address");
    let (_, list) = call!(svc, req("GET", "/api/v1/email-accounts", &owner));
    assert_eq!(list, serde_json::json!([]));
}

#[actix_web::test]
async fn another_users_account_is_a_404_but_an_admin_sees_and_manages_it() {
    let dovecot = Dovecot::start(&[("alice", PASSWORD)]);
    let app = app().await;
    let svc = service!(app);
    let (_, owner) = app.bearer(Role::User).await;
    let (_, other) = app.bearer(Role::User).await;
    let (_, admin) = app.bearer(Role::Admin).await;

    let (status, created) = call!(
        svc,
        req("POST", "/api/v1/email-accounts", &owner)
            .set_json(new_account(&dovecot, "alice", PASSWORD))
    );
    assert_eq!(status, StatusCode::CREATED);
    let uri = format!("/api/v1/email-accounts/{}", created["id"]);

    for (method, path) in [
        ("GET", uri.clone()),
        ("PATCH", uri.clone()),
        ("POST", format!("{uri}/sync")),
        ("DELETE", uri.clone()),
    ] {
        let mut r = req(method, &path, &other);
        if method == "PATCH" {
            r = r.set_json(serde_json::json!({ "active": false }));
        }
        let (status, body) = call!(svc, r);
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    let (_, list) = call!(svc, req("GET", "/api/v1/email-accounts", &other));
    assert_eq!(list, serde_json::json!([]));

    let (_, list) = call!(svc, req("GET", "/api/v1/email-accounts", &admin));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == created["id"])
    );
    let (status, _) = call!(svc, req("GET", &uri, &admin));
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call!(svc, req("POST", &format!("{uri}/sync"), &admin));
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = call!(svc, req("DELETE", &uri, &admin));
    assert_eq!(status, StatusCode::NO_CONTENT);
}
